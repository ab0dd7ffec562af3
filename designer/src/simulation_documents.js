// The GraphQL documents the Simulate view sends, each put together from the named parts below:
// a simulation's report is asked for in the same words whether it is run at once, read (polled,
// compared side by side) or followed as the server streams it, and no document is cut out of
// the text of another, so editing one part changes every document that uses it.
import { MOVEMENT_FIELDS } from './movements.js';
import { CASE_PATH_FIELDS, PROCESS_FIELDS, PROCESS_FRAGMENT, SIDE_PATH_FIELDS } from './process_figures.js';

// one side (in force or draft) of a collection strategy's day-by-day replay
const REPLAY_FRAGMENT = `fragment replaySide on CollectionsSide { contacts suppressed postponed
  channels { channel total perDay } suppressions { rule effect channel count reason }
  workload { collector tasks calls visits busiestDay } }`;

// a changed case on one side: its outcome, the rules that gave it, its path through the process
const CASE_SIDE_FIELDS = `outcome rules { id annotation } ${SIDE_PATH_FIELDS}`;

// a simulation's report (fields of a Simulation): what the view draws and the comparison reads
const REPORT_FIELDS = `id processId decisionId againstVersion outcomeOutput seconds
    cells { old new count amount }
    totals { cases amount changed changedAmount old { outcome count amount } new { outcome count amount } }
    observed { label loans defaulted worstDpd }
    ${MOVEMENT_FIELDS}
    ${PROCESS_FIELDS}
    collections { from to dates loans contactTime
      old { ...replaySide } new { ...replaySide }
      changed { label loans cured rolled chargedOff stayed } }
    changedCases { caseId customerId amount ${CASE_PATH_FIELDS}
      old { ${CASE_SIDE_FIELDS} } new { ${CASE_SIDE_FIELDS} } }`;

// the fragments REPORT_FIELDS spreads: every document that asks for a report ends with them
const REPORT_FRAGMENTS = `${REPLAY_FRAGMENT}
${PROCESS_FRAGMENT}`;

// where a simulation run in the background stands
const PROGRESS_FIELDS = 'status error progress { casesDone casesTotal phase }';

// simulate, answering `fields` of the simulation it ran or queued
const simulate = (fields) => `mutation ($input: SimulateInput!) { simulate(input: $input) { __typename
  ... on SimulateSuccess { simulation { ${fields} } }
  ... on UserError { message } } }`;

// one kept simulation's progress and report, from `field(id:)` of a query or a subscription
const report = (operation, field) => `${operation} ($id: Int!) { ${field}(id: $id) { ${PROGRESS_FIELDS}
    ${REPORT_FIELDS} } }
${REPORT_FRAGMENTS}`;

// run at once, answering the report
export const SIMULATE = `${simulate(REPORT_FIELDS)}
${REPORT_FRAGMENTS}`;
// queued for a worker, answering only the simulation's id
export const QUEUE = simulate('id');
export const POLL = report('query', 'simulation');
export const STREAM = report('subscription', 'simulationUpdated');
export const CANCEL = `mutation ($id: Int!) { cancelSimulation(id: $id) { __typename ... on UserError { message } } }`;
export const TODAY = '{ businessDate }';
