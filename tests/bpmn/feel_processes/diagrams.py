"""Diagrams as Camunda Modeler 5 (Camunda 8) and 4 (Camunda 7) write them: FEEL everywhere."""

from __future__ import annotations

CAMUNDA8_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
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
