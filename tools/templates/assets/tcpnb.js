// Learner edition: fold each run of solution cells behind one "Solution" summary.  A lone
// markdown solution that its author already wrote as <details> stays as it is.  (nbconvert puts
// a code cell's tag class on the cell, a markdown cell's on an element inside it.)
const tagged = document.querySelectorAll(".celltag_solution, .celltag_exercise-solution");
new Set([...tagged].map(element => element.closest(".jp-Cell"))).forEach(cell => {
  const previous = cell.previousElementSibling;
  if (previous && previous.matches("details.tcpnb-solution")) {
    previous.appendChild(cell);
    return;
  }
  if (cell.querySelector("details")) return;
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  details.className = "tcpnb-solution";
  summary.textContent = "Solution";
  details.appendChild(summary);
  cell.parentNode.insertBefore(details, cell);
  details.appendChild(cell);
});
