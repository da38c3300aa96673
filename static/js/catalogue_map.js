// Map of the catalogue: the places of the services found, from the JSON endpoint that applies the
// same filters as the list. The endpoint's URL is carried by the results fragment
// ([data-map-url]); when htmx swaps new results in, the markers are reloaded.
// Loaded as a file (no inline script) so that the Content-Security-Policy stays strict.
(function () {
  "use strict";

  var el = document.getElementById("carte-catalogue");
  if (!el || typeof L === "undefined") return;

  var map = L.map(el, { scrollWheelZoom: false });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 18 }).addTo(map);
  }
  map.setView([48.78, 2.5], 12);
  var outlines = L.layerGroup().addTo(map);
  var markers = L.layerGroup().addTo(map);
  var lastUrl = null;
  var note = L.control({ position: "bottomleft" });
  note.onAdd = function () {
    var div = L.DomUtil.create("div", "leaflet-control-attribution");
    div.hidden = true;
    return div;
  };
  note.addTo(map);

  if (el.dataset.outlines) {
    fetch(el.dataset.outlines, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        L.geoJSON(data, {
          filter: function (f) { return f.properties.layer === "qpv"; },
          style: { color: "#000091", weight: 1.5, fillColor: "#000091", fillOpacity: 0.12 },
          interactive: false,
        }).addTo(outlines);
      });
  }

  function text(tag, content) {
    var node = document.createElement(tag);
    node.textContent = content;
    return node;
  }

  function describe(props) {
    var div = document.createElement("div");
    if (props.layer === "origine") {
      div.appendChild(text("strong", "Point de départ"));
      div.appendChild(text("p", props.nom));
      return div;
    }
    var link = text("a", props.nom);
    link.href = props.url;
    var title = document.createElement("strong");
    title.appendChild(link);
    div.appendChild(title);
    div.appendChild(text("p", props.organisation + (props.lieu ? " — " + props.lieu : "")));
    if (props.distance_m !== null && props.distance_m !== undefined) {
      div.appendChild(text("p", "À " + props.distance_m + " m"));
    }
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
          if (props.layer === "origine") {
            L.circle(latlng, { radius: props.rayon_m, color: "#e1000f", weight: 1.5, fill: false, dashArray: "6 4", interactive: false }).addTo(markers);
            L.circleMarker(latlng, { radius: 7, color: "#e1000f", weight: 3, fillOpacity: 0.9 }).bindPopup(describe(props)).addTo(markers);
          } else {
            L.circleMarker(latlng, { radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#000091", fillOpacity: 0.9 })
              .bindPopup(describe(props)).addTo(markers);
          }
          points.push(latlng);
        });
        if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 15 });
        var box = note.getContainer();
        box.textContent = data.tronque ? "Carte limitée aux premiers lieux : affinez la recherche." : "";
        box.hidden = !data.tronque;
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
