// The past cases each simulated process is weighed on, as the server's simulation maps them
// (bpmn/simulation/run.py KINDS): the Simulate view picks it when it opens on that process,
// so a reminder cadence runs on loans' installments without the analyst having to know.
const KINDS = {
  credit_approval: 'APPLICATIONS',
  collections: 'LOANS',
  pre_due_reminders: 'LOANS',
  customer_risk_rating: 'CUSTOMERS',
  limit_increase: 'CUSTOMERS',
};

// Select the population kind of `processId` (left as it is for a process not listed), telling
// whoever listens to the select that it changed.
export function chooseKind(processId) {
  const select = document.getElementById('simulate-kind');
  const kind = KINDS[processId];
  if (!kind || select.value === kind) return;
  select.value = kind;
  select.dispatchEvent(new Event('change'));
}
