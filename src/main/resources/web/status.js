// hubprobe status page: swaps in the live part when runs land (a short poll, no reload), and draws
// each hub's latency chart with uPlot once it scrolls into view. Works without it: the tables are HTML.
(function () {
  "use strict";
  var POLL_MS = 5000;
  var charts = {};   // hub -> uPlot
  var range = "24h";
  // server.base_path ("/" without it), which the page states: the requests below go under it
  var base = document.body.getAttribute("data-base") || "/";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  var SERIES = [
    ["total", "run", "--c-total"],
    ["spawn", "spawn", "--c-spawn"],
    ["spawn_scale_up", "scale-up", "--c-scale"],
    ["spawn_image_pull", "image pull", "--c-pull"],
    ["build", "build", "--c-scale"],
    ["launch", "launch", "--c-pull"]
  ];

  function draw(el, data) {
    var hub = el.getAttribute("data-hub");
    if (charts[hub]) {
      charts[hub].destroy();
      delete charts[hub];
    }
    el.textContent = "";
    var xs = data.buckets.map(function (b) { return b + data.bucket_seconds / 2; });
    var series = [{}];
    var columns = [xs];
    var points = 0;
    SERIES.forEach(function (s) {
      var values = data.series[s[0]];
      if (!values) { return; }
      points += values.filter(function (v) { return v !== null; }).length;
      columns.push(values);
      series.push({ label: s[1], stroke: css(s[2]), width: 2, spanGaps: true, value: function (u, v) { return v == null ? "–" : v.toFixed(2) + " s"; } });
    });
    if (data.baseline && data.baseline.spawn != null && xs.length) {
      columns.push(xs.map(function () { return data.baseline.spawn; }));
      series.push({ label: "spawn baseline", stroke: css("--c-base"), width: 1, dash: [6, 4] });
    }
    el.setAttribute("data-points", String(points));
    if (!points) {
      var p = document.createElement("p");
      p.textContent = "No passing runs in this range yet.";
      el.appendChild(p);
      return;
    }
    var axis = { stroke: css("--fg"), grid: { stroke: css("--line") }, ticks: { stroke: css("--line") } };
    charts[hub] = new uPlot({
      width: Math.max(280, el.clientWidth),
      height: 200,
      series: series,
      axes: [Object.assign({}, axis), Object.assign({ label: "seconds" }, axis)],
      scales: { x: { time: true, range: [data.from, data.to] } },
      legend: { live: true }
    }, columns, el);
  }

  function load(el) {
    var hub = el.getAttribute("data-hub");
    el.setAttribute("aria-busy", "true");
    fetch(base + "status/series/" + encodeURIComponent(hub) + "?range=" + range, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("series " + r.status); } return r.json(); })
      .then(function (data) { draw(el, data); })
      .catch(function () { el.textContent = "The chart could not be loaded."; })
      .then(function () { el.removeAttribute("aria-busy"); });
  }

  var seen = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (e.isIntersecting) {
        seen.unobserve(e.target);
        load(e.target);
      }
    });
  }, { rootMargin: "200px" }) : null;

  function watchCharts() {
    Object.keys(charts).forEach(function (hub) {
      if (!document.body.contains(charts[hub].root)) { charts[hub].destroy(); delete charts[hub]; }
    });
    document.querySelectorAll(".chart[data-hub]").forEach(function (el) {
      if (seen) { seen.observe(el); } else { load(el); }
    });
  }

  // Polls only while the tab is seen: a hidden tab (another tab in front, a minimised window) asks
  // nothing (Page Visibility API), and one brought back asks at once, then every POLL_MS again.
  var timer = null;
  var inFlight = false;

  function schedule(live, ms) {
    if (timer !== null) { clearTimeout(timer); }
    timer = document.hidden ? null : setTimeout(function () { timer = null; poll(live); }, ms);
  }

  function poll(live) {
    if (document.hidden || inFlight) { return; }
    inFlight = true;
    fetch(base + "status/fragment", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.version !== live.getAttribute("data-version")) {
          live.innerHTML = data.html;
          live.setAttribute("data-version", data.version);
          watchCharts();
        }
        var banner = document.getElementById("banner");
        if (data && banner && typeof data.banner === "string" && banner.getAttribute("data-version") !== data.banner_version) {
          banner.innerHTML = data.banner;
          banner.setAttribute("data-version", data.banner_version);
        }
      })
      .catch(function () { /* the service is restarting: try again at the next tick */ })
      .then(function () { inFlight = false; schedule(live, POLL_MS); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    if (!live) { return; }
    var select = document.getElementById("range");
    if (select) {
      select.addEventListener("change", function () {
        range = select.value;
        document.querySelectorAll(".chart[data-hub]").forEach(load);
      });
    }
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (hub) {
        var el = charts[hub].root.parentNode;
        charts[hub].setSize({ width: Math.max(280, el.clientWidth), height: 200 });
      });
    });
    watchCharts();
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) {
        if (timer !== null) { clearTimeout(timer); timer = null; }
      } else {
        poll(live);
      }
    });
    schedule(live, POLL_MS);
  });
})();
