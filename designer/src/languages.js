// Which expression language each open file is read in (the server decides, by the same rule
// the engine runs), shown on its tab, and the switch that declares another one on the file.
export const FEEL_URI = 'https://www.omg.org/spec/DMN/20191111/FEEL/';
export const OWN_URI = 'https://lendgraph.org/spec/expressions';
const NAMES = { FEEL: 'FEEL', LENDGRAPH: 'lendgraph', MIXED: 'FEEL and lendgraph' };

export const LANGUAGES = `query ($xml: String!, $dmns: [String!]!) {
  processLanguages(input: {bpmnXml: $xml, dmnXmls: $dmns}) { file language } }`;

export function languageLabel(language) {
  return NAMES[language] || language || '';
}

// tab key ('bpmn', 'dmn:<decision id>') -> language, from the server's answer per file
export function languagesByTab(answer, dmns, tables) {
  const byTab = {};
  for (const { file, language } of answer) {
    if (file === 'bpmn') { byTab.bpmn = language; continue; }
    const xml = dmns[Number(file.slice(4, -1))];
    for (const [id, tableXml] of Object.entries(tables)) if (tableXml === xml) byTab[`dmn:${id}`] = language;
  }
  return byTab;
}

// declare the language on a file's definitions (bpmn-js and dmn-js moddle elements alike)
export function declareLanguage(definitions, language) {
  definitions.set('expressionLanguage', language === 'FEEL' ? FEEL_URI : OWN_URI);
}
