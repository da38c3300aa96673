// Maps of the aller-vers, loaded as a file (no inline script) so that the Content-Security-Policy
// stays strict.
// - #carte-aller-vers: the actions of the table that follows it (rows carry data-lat / data-lon), so
//   the map and its accessible table always show the same actions.
// - #carte-choix-lieu: on the action and permanence forms, a click fills the latitude and longitude.
(function () {
  "use strict";

  if (typeof L === "undefined") return;

  function baseMap(el) {
    var map = L.map(el, { scrollWheelZoom: false });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 18 }).addTo(map);
    }
    map.setView([48.78, 2.5], 12);
    if (el.dataset.outlines) {
      fetch(el.dataset.outlines, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var layer = L.geoJSON(data, {
            filter: function (f) { return f.properties.layer === "qpv"; },
            style: { color: "#000091", weight: 1.5, fillColor: "#000091", fillOpacity: 0.12 },
            onEachFeature: function (f, l) { l.bindTooltip(f.properties.nom + " (" + f.properties.code + ")"); },
          }).addTo(map);
          layer.bringToBack();
        });
    }
    return map;
  }

  function text(tag, content) {
    var node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  function actionsMap(el) {
    var table = document.getElementById(el.dataset.table);
    if (!table) return;
    var map = baseMap(el);
    var points = [];
    table.querySelectorAll("tbody tr[data-lat]").forEach(function (row) {
      var latlng = [parseFloat(row.dataset.lat), parseFloat(row.dataset.lon)];
      if (isNaN(latlng[0]) || isNaN(latlng[1])) return;
      var cells = row.querySelectorAll("td");
      var popup = document.createElement("div");
      var link = text("a", cells[1].querySelector("a").textContent);
      link.href = row.dataset.url;
      var title = document.createElement("strong");
      title.appendChild(link);
      popup.appendChild(title);
      popup.appendChild(text("p", cells[0].textContent.trim() + " — " + cells[2].textContent.trim()));
      var precise = row.dataset.located === "point";
      L.circleMarker(latlng, precise
        ? { radius: 7, color: "#ffffff", weight: 1.5, fillColor: "#000091", fillOpacity: 0.95 }
        : { radius: 7, color: "#000091", weight: 2.5, dashArray: "3 2", fillColor: "#ffffff", fillOpacity: 1 }
      ).bindPopup(popup).addTo(map);
      points.push(latlng);
    });
    if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 15 });
  }

  function placePicker(el) {
    var lat = document.getElementById(el.dataset.latInput);
    var lon = document.getElementById(el.dataset.lonInput);
    if (!lat || !lon) return;
    var map = baseMap(el);
    var marker = null;
    function show() {
      var latlng = [parseFloat(lat.value.replace(",", ".")), parseFloat(lon.value.replace(",", "."))];
      if (isNaN(latlng[0]) || isNaN(latlng[1])) return;
      if (marker) marker.setLatLng(latlng);
      else marker = L.circleMarker(latlng, { radius: 8, color: "#ffffff", weight: 2, fillColor: "#e1000f", fillOpacity: 0.95 }).addTo(map);
      map.setView(latlng, 15);
    }
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5);
      lon.value = e.latlng.lng.toFixed(5);
      show();
    });
    lat.addEventListener("change", show);
    lon.addEventListener("change", show);
    show();
  }

  var actions = document.getElementById("carte-aller-vers");
  if (actions) actionsMap(actions);
  var picker = document.getElementById("carte-choix-lieu");
  if (picker) placePicker(picker);
})();
