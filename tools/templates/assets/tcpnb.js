// Learner edition: fold every solution cell behind a "Solution" summary (markdown
// solutions written as <details> by their author are folded already).
document.querySelectorAll(".celltag_solution, .celltag_exercise-solution").forEach(cell => {
  if (cell.querySelector("details")) return;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  details.className = "tcpnb-solution";
  summary.textContent = "Solution";
  details.appendChild(summary);
  cell.parentNode.insertBefore(details, cell);
  details.appendChild(cell);
});
