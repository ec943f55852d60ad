// The overview's trend chart: reads the JSON data block the server wrote
// (no inline script: the Content-Security-Policy forbids it) and draws it
// with the vendored Apache ECharts.
(function () {
  "use strict";
  var data = document.getElementById("trend-data");
  var target = document.getElementById("trend");
  if (!data || !target || typeof echarts === "undefined") {
    return;
  }
  var trend = JSON.parse(data.textContent);
  var chart = echarts.init(target, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 48, right: 48, top: 36, bottom: 28 },
    xAxis: { type: "category", data: trend.weeks },
    yAxis: [
      { type: "value", name: trend.percentAxis, min: 0, max: 100 },
      { type: "value", name: trend.countAxis, minInterval: 1 }
    ],
    series: trend.series.map(function (s) {
      return {
        name: s.name,
        type: s.kind === "percent" ? "line" : "bar",
        yAxisIndex: s.kind === "percent" ? 0 : 1,
        data: s.data,
        connectNulls: false
      };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
