// Starting points for new diagrams: executable, in the shapes the engine reads.
export function newProcess(id, name) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_${id}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${id}" name="${name}" isExecutable="true">
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><spiffworkflow:taskMetadataValues><spiffworkflow:taskMetadataValue name="candidate_role" value="'risk_officer'" /><spiffworkflow:taskMetadataValue name="form_fields" value='{"decision": ["APPROVED", "DECLINED"], "comment": "text"}' /></spiffworkflow:taskMetadataValues></bpmn:extensionElements>
      <bpmn:incoming>flow_1</bpmn:incoming><bpmn:outgoing>flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="Done"><bpmn:incoming>flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow_1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="flow_2" sourceRef="review" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_${id}">
    <bpmndi:BPMNPlane id="BPMNPlane_${id}" bpmnElement="${id}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="270" y="78" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="432" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flow_1_di" bpmnElement="flow_1"><di:waypoint x="216" y="118" /><di:waypoint x="270" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="flow_2_di" bpmnElement="flow_2"><di:waypoint x="370" y="118" /><di:waypoint x="432" y="118" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

export function newTable(id) {
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="Definitions_${id}" name="${id}" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="${id}" name="${id}">
    <decisionTable id="DecisionTable_${id}" hitPolicy="UNIQUE">
      <input id="input_amount" label="amount"><inputExpression id="inputExpression_amount" typeRef="number"><text>amount</text></inputExpression></input>
      <output id="output_result" label="result" name="result" typeRef="string" />
      <rule id="rule_small"><inputEntry id="rule_small_amount"><text>&lt;= 10000</text></inputEntry><outputEntry id="rule_small_result"><text>"small"</text></outputEntry></rule>
      <rule id="rule_other"><inputEntry id="rule_other_amount"><text></text></inputEntry><outputEntry id="rule_other_result"><text>"large"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="DMNDiagram_${id}"><dmndi:DMNShape id="DMNShape_${id}" dmnElementRef="${id}"><dc:Bounds height="80" width="180" x="160" y="100" /></dmndi:DMNShape></dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>`;
}

export function decisionIds(dmnXml) {
  const doc = new DOMParser().parseFromString(dmnXml, 'application/xml');
  return [...doc.getElementsByTagNameNS('*', 'decision')].map((d) => d.getAttribute('id'));
}

export function processIdOf(bpmnXml) {
  const doc = new DOMParser().parseFromString(bpmnXml, 'application/xml');
  const executable = [...doc.getElementsByTagNameNS('*', 'process')];
  const chosen = executable.find((p) => p.getAttribute('isExecutable') === 'true') || executable[0];
  return chosen ? chosen.getAttribute('id') : null;
}
