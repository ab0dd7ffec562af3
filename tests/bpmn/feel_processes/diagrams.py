"""Diagrams as Camunda Modeler 5 (Camunda 8) and 4 (Camunda 7) write them: FEEL everywhere."""

from __future__ import annotations

CAMUNDA8_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1"
  targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.28.0"
  modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.5.0">
  <bpmn:process id="loan_check" name="Loan check" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide" name="Decide the lane">
      <bpmn:extensionElements>
        <zeebe:calledDecision decisionId="lane" resultVariable="lane" />
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:exclusiveGateway id="route" default="f_other">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_fast</bpmn:outgoing><bpmn:outgoing>f_decline</bpmn:outgoing>
      <bpmn:outgoing>f_other</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="fast"><bpmn:incoming>f_fast</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="declined"><bpmn:incoming>f_decline</bpmn:incoming></bpmn:endEvent>
    <bpmn:intermediateCatchEvent id="cool_off">
      <bpmn:incoming>f_other</bpmn:incoming><bpmn:outgoing>f_end</bpmn:outgoing>
      <bpmn:timerEventDefinition id="timer_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT5M</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="reviewed"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide" />
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="route" />
    <bpmn:sequenceFlow id="f_fast" sourceRef="route" targetRef="fast">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=lane = "FAST" and amount &lt;= 100000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_decline" sourceRef="route" targetRef="declined">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=lane = "DECLINE"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_other" sourceRef="route" targetRef="cool_off" />
    <bpmn:sequenceFlow id="f_end" sourceRef="cool_off" targetRef="reviewed" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_1">
    <bpmndi:BPMNPlane id="plane_1" bpmnElement="loan_check">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="150" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="decide_di" bpmnElement="decide"><dc:Bounds x="240" y="78" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="route_di" bpmnElement="route"><dc:Bounds x="395" y="93" width="50" height="50" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fast_di" bpmnElement="fast"><dc:Bounds x="500" y="20" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="declined_di" bpmnElement="declined"><dc:Bounds x="500" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="cool_off_di" bpmnElement="cool_off"><dc:Bounds x="500" y="180" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="reviewed_di" bpmnElement="reviewed"><dc:Bounds x="600" y="180" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="186" y="118" /><di:waypoint x="240" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="118" /><di:waypoint x="395" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_fast_di" bpmnElement="f_fast"><di:waypoint x="420" y="93" /><di:waypoint x="420" y="38" /><di:waypoint x="500" y="38" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_decline_di" bpmnElement="f_decline"><di:waypoint x="445" y="118" /><di:waypoint x="500" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_other_di" bpmnElement="f_other"><di:waypoint x="420" y="143" /><di:waypoint x="420" y="198" /><di:waypoint x="500" y="198" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f_end_di" bpmnElement="f_end"><di:waypoint x="536" y="198" /><di:waypoint x="600" y="198" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

LANE_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="lane_rules"
  name="Lane rules" namespace="http://camunda.org/schema/1.0/dmn"
  exporter="Camunda Modeler" exporterVersion="5.28.0">
  <decision id="lane" name="Lane">
    <decisionTable id="lane_table" hitPolicy="FIRST">
      <input id="in_dpd" label="Worst DPD"><inputExpression id="ie_dpd" typeRef="number"><text>worst_dpd_12m</text></inputExpression></input>
      <input id="in_score" label="Bureau score"><inputExpression id="ie_score" typeRef="number"><text>bureau_score</text></inputExpression></input>
      <input id="in_bucket" label="Bucket"><inputExpression id="ie_bucket" typeRef="string"><text>bucket</text></inputExpression></input>
      <input id="in_date" label="Submitted"><inputExpression id="ie_date" typeRef="date"><text>submitted</text></inputExpression></input>
      <output id="out_lane" name="lane" typeRef="string" />
      <rule id="r_dpd">
        <inputEntry id="r_dpd_1"><text>&gt; 60</text></inputEntry>
        <inputEntry id="r_dpd_2"><text>-</text></inputEntry>
        <inputEntry id="r_dpd_3"><text>-</text></inputEntry>
        <inputEntry id="r_dpd_4"><text>-</text></inputEntry>
        <outputEntry id="r_dpd_o"><text>"DECLINE"</text></outputEntry>
      </rule>
      <rule id="r_nofile">
        <inputEntry id="r_nofile_1"><text>-</text></inputEntry>
        <inputEntry id="r_nofile_2"><text>null</text></inputEntry>
        <inputEntry id="r_nofile_3"><text>-</text></inputEntry>
        <inputEntry id="r_nofile_4"><text>-</text></inputEntry>
        <outputEntry id="r_nofile_o"><text>"ENHANCED"</text></outputEntry>
      </rule>
      <rule id="r_early">
        <inputEntry id="r_early_1"><text>[1..30]</text></inputEntry>
        <inputEntry id="r_early_2"><text>-</text></inputEntry>
        <inputEntry id="r_early_3"><text>"M1","M2"</text></inputEntry>
        <inputEntry id="r_early_4"><text>-</text></inputEntry>
        <outputEntry id="r_early_o"><text>"STANDARD"</text></outputEntry>
      </rule>
      <rule id="r_old">
        <inputEntry id="r_old_1"><text>-</text></inputEntry>
        <inputEntry id="r_old_2"><text>-</text></inputEntry>
        <inputEntry id="r_old_3"><text>-</text></inputEntry>
        <inputEntry id="r_old_4"><text>&lt; date("2026-01-01")</text></inputEntry>
        <outputEntry id="r_old_o"><text>"STANDARD"</text></outputEntry>
      </rule>
      <rule id="r_fast">
        <inputEntry id="r_fast_1"><text>-</text></inputEntry>
        <inputEntry id="r_fast_2"><text>not(null)</text></inputEntry>
        <inputEntry id="r_fast_3"><text>-</text></inputEntry>
        <inputEntry id="r_fast_4"><text>-</text></inputEntry>
        <outputEntry id="r_fast_o"><text>"FAST"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
