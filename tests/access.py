"""The vocabulary of the access matrix (tests/test_access_matrix.py), shared by each app's route list."""

ROLES = ("coordinator", "counsellor", "elected", "funder", "employer")
LOGIN = 302  # anonymous visitors are sent to the login page

# name → (sample path, anonymous answer, answer for each role of the territory, {role: other answer}).
# Paths may name {org} and {service}: an organisation of the territory the visitor is not a member of.
READ_CENSUS = {"employer": 403}
EDIT_CENSUS = {"counsellor": 403, "elected": 403, "funder": 403, "employer": 403}
# Pages of personal data: coordination and counsellors only.
PROFESSIONALS_ONLY = {"elected": 403, "funder": 403, "employer": 403}
