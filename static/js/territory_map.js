// Maps of the territory: QPV and commune outlines from a GeoJSON URL; base tiles only when configured.
// Loaded as a file (no inline script) so that the Content-Security-Policy stays strict.
(function () {
  "use strict";

  var STYLES = {
    qpv: { color: "#000091", weight: 2, fillColor: "#000091", fillOpacity: 0.3 },
    commune: { color: "#ce0500", weight: 1.5, dashArray: "6 4", fill: false },
    territoire: { color: "#161616", weight: 2.5, fill: false },
  };

  function describe(props) {
    var div = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = props.nom + (props.code ? " (" + props.code + ")" : "");
    div.appendChild(title);
    if (props.layer === "qpv" && props.communes) {
      var p = document.createElement("p");
      p.textContent = "Communes : " + props.communes.join(", ");
      div.appendChild(p);
    }
    return div;
  }

  function init(el) {
    var map = L.map(el, { scrollWheelZoom: false, zoomControl: false, zoomSnap: 0.25 });
    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 18 }).addTo(map);
    }
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) { return STYLES[f.properties.layer] || STYLES.qpv; },
          onEachFeature: function (f, l) { if (f.properties.layer !== "territoire") l.bindPopup(describe(f.properties)); },
        }).addTo(map);
        layer.eachLayer(function (l) { if (l.feature.properties.layer === "qpv") l.bringToFront(); });
        // Outlines listen for their popup, which would swallow the click meant to check a point.
        if (el.dataset.clickForm) layer.on("click", function (e) { map.fire("click", e); });
        if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        else map.setView([48.78, 2.5], 12);
      });
    if (el.dataset.markerLat) {
      L.circleMarker([parseFloat(el.dataset.markerLat), parseFloat(el.dataset.markerLon)], {
        radius: 8, color: "#e1000f", weight: 3, fillOpacity: 0.8,
      }).addTo(map);
    }
    if (el.dataset.clickForm) {
      var form = document.getElementById(el.dataset.clickForm);
      map.on("click", function (e) {
        form.elements.lon.value = e.latlng.lng.toFixed(6);
        form.elements.lat.value = e.latlng.lat.toFixed(6);
        form.submit();
      });
    }
  }

  document.querySelectorAll("[data-geojson]").forEach(init);
})();
