#!/usr/bin/env python
from cite_emploi.cli import main

if __name__ == "__main__":
    main()
