// The annual report's charts: disputes by category (bars) and by outcome
// (a pie), and month by month (disputes, resolved on the spot, wage
// disputes). Each chart's data are the JSON of its element's data-chart
// attribute, written by the server (no inline script: the
// Content-Security-Policy forbids it), drawn with the vendored ECharts
// (SVG, so it prints sharp).
(function () {
  "use strict";
  if (typeof echarts === "undefined") {
    return;
  }
  var charts = [];
  function draw(id, option) {
    var target = document.getElementById(id);
    if (!target || !target.dataset.chart) {
      return;
    }
    var chart = echarts.init(target, null, { renderer: "svg" });
    chart.setOption(option(JSON.parse(target.dataset.chart)));
    charts.push(chart);
  }
  draw("disputes-chart", function (d) {
    return {
      animation: false,
      tooltip: { trigger: "item" },
      grid: { left: 48, right: "45%", top: 16, bottom: 64 },
      xAxis: { type: "category", data: d.categories, axisLabel: { interval: 0, rotate: 40 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: d.countName, type: "bar", data: d.counts },
        { type: "pie", center: ["78%", "50%"], radius: ["25%", "55%"], data: d.outcomes }
      ]
    };
  });
  draw("months-chart", function (d) {
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 36, bottom: 28 },
      xAxis: { type: "category", data: d.months },
      yAxis: { type: "value", name: d.countAxis, minInterval: 1 },
      series: [
        { name: d.disputes.name, type: "bar", data: d.disputes.data },
        { name: d.resolved.name, type: "line", data: d.resolved.data },
        { name: d.wage.name, type: "line", data: d.wage.data }
      ]
    };
  });
  function resize() {
    charts.forEach(function (chart) { chart.resize(); });
  }
  window.addEventListener("resize", resize);
  window.addEventListener("beforeprint", resize);
})();
