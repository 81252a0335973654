// "Only what was missed": hide the matrix rows whose documented statuses were all exercised.
document.querySelectorAll("input[data-filter-missed]").forEach(function (toggle) {
  toggle.addEventListener("change", function () {
    document.querySelectorAll("table.matrix tr[data-missed]").forEach(function (row) {
      row.classList.toggle("hidden", toggle.checked && row.dataset.missed === "0");
    });
  });
});
