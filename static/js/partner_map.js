// Map of the partners: seats (filled, coloured by kind) and permanences (hollow), from the JSON
// endpoint that applies the same filters as the table, over the QPV outlines of the perimeter.
// The endpoint's URL is carried by the results fragment ([data-map-url]); htmx swaps reload it.
// Loaded as a file (no inline script) so that the Content-Security-Policy stays strict.
(function () {
  "use strict";

  var el = document.getElementById("carte-partenaires");
  if (!el || typeof L === "undefined") return;

  var map = L.map(el, { scrollWheelZoom: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 18 }).addTo(map);
  }
  map.setView([48.78, 2.5], 12);
  var markers = L.layerGroup().addTo(map);
  var lastUrl = null;

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

  function text(tag, content) {
    var node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  function describe(props) {
    var div = document.createElement("div");
    var link = text("a", props.nom);
    link.href = props.url;
    var title = document.createElement("strong");
    title.appendChild(link);
    div.appendChild(title);
    div.appendChild(text("p", props.nature_libelle));
    if (props.layer === "permanence") div.appendChild(text("p", "Permanence : " + props.lieu));
    if (props.qpv) div.appendChild(text("p", "Quartier prioritaire : " + props.qpv));
    return div;
  }

  function load(url) {
    if (!url || url === lastUrl) return;
    lastUrl = url;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (url !== lastUrl) return;
        markers.clearLayers();
        var points = [];
        data.features.forEach(function (f) {
          var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          var props = f.properties;
          var style = props.layer === "permanence"
            ? { radius: 6, color: props.couleur || "#161616", weight: 2.5, dashArray: "3 2", fillColor: "#ffffff", fillOpacity: 1 }
            : { radius: 8, color: "#ffffff", weight: 1.5, fillColor: props.couleur || "#000091", fillOpacity: 0.95 };
          L.circleMarker(latlng, style).bindPopup(describe(props)).addTo(markers);
          points.push(latlng);
        });
        if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 15 });
      });
  }

  function refresh() {
    var holder = document.querySelector("#resultats [data-map-url]");
    if (!holder) return;
    load(holder.dataset.mapUrl);
    var announce = document.getElementById("annonce-resultats");
    if (announce && holder.dataset.countText) announce.textContent = holder.dataset.countText;
  }

  refresh();
  document.body.addEventListener("htmx:afterSettle", refresh);
})();
