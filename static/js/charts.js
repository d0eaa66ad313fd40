// Charts of the national overview, drawn from the figures the server put in #chart-data.
// Each chart has a table with the same numbers beside it, so nothing depends on this script.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

  function draw(name, config) {
    var canvas = document.querySelector('canvas[data-chart="' + name + '"]');
    if (canvas) {
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
      new window.Chart(canvas, config);
    }
  }

  draw("funding-by-province", {
    type: "bar",
    data: {
      labels: data.provinces,
      datasets: data.sources.map(function (label, index) {
        return { label: label, data: data.intendedBySource[index], backgroundColor: palette[index] };
      })
    },
    options: { scales: { x: { stacked: true, ticks: { autoSkip: false } }, y: { stacked: true, title: { display: true, text: "万元" } } } }
  });

  draw("progress-by-province", {
    type: "bar",
    data: {
      labels: data.provinces,
      datasets: [
        { label: "单位数", data: data.units, backgroundColor: "#9ecae1" },
        { label: "已提交", data: data.submitted, backgroundColor: "#3182bd" }
      ]
    },
    options: { scales: { x: { ticks: { autoSkip: false } } } }
  });

  draw("funding-by-source", {
    type: "bar",
    data: {
      labels: data.sources,
      datasets: [
        { label: "意向承接", data: data.sourceIntended, backgroundColor: "#6baed6" },
        { label: "已通过", data: data.sourceApproved, backgroundColor: "#2171b5" }
      ]
    },
    options: { scales: { y: { title: { display: true, text: "万元" } } } }
  });
})();
