<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>BulkBar</name>
    <message numerus="yes">
        <source>%n selected</source>
        <translation><numerusform>%n selected</numerusform><numerusform>%n selected</numerusform></translation>
    </message>
</context>
<context>
    <name>ContractForm</name>
    <message numerus="yes">
        <source>Read with %n% confidence: please check</source>
        <translation><numerusform>Read with %n% confidence: please check</numerusform><numerusform>Read with %n% confidence: please check</numerusform></translation>
    </message>
</context>
<context>
    <name>CustomersScreen</name>
    <message numerus="yes">
        <source>No follow-up for %n day(s)</source>
        <translation><numerusform>No follow-up for %n day</numerusform><numerusform>No follow-up for %n days</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s)</source>
        <translation><numerusform>%n customer</numerusform><numerusform>%n customers</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n customer(s) reassigned</source>
        <translation><numerusform>%n customer reassigned</numerusform><numerusform>%n customers reassigned</numerusform></translation>
    </message>
</context>
<context>
    <name>DuplicatesScreen</name>
    <message numerus="yes">
        <source>%n group(s)</source>
        <translation><numerusform>%n group</numerusform><numerusform>%n groups</numerusform></translation>
    </message>
</context>
<context>
    <name>LeadDashboard</name>
    <message numerus="yes">
        <source>Last %n day(s)</source>
        <translation><numerusform>Last %n day</numerusform><numerusform>Last %n days</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>⚑ %n missed in a row</source>
        <translation><numerusform>⚑ %n missed in a row</numerusform><numerusform>⚑ %n missed in a row</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>Exported %n rep(s).</source>
        <translation><numerusform>Exported %n rep.</numerusform><numerusform>Exported %n reps.</numerusform></translation>
    </message>
</context>
<context>
    <name>LeadDialog</name>
    <message numerus="yes">
        <source>Chosen: %1, by weighted choice among %n eligible rep(s).</source>
        <translation><numerusform>Chosen: %1, by weighted choice among %n eligible rep.</numerusform><numerusform>Chosen: %1, by weighted choice among %n eligible reps.</numerusform></translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message numerus="yes">
        <source>%n contact(s)</source>
        <translation><numerusform>%n contact</numerusform><numerusform>%n contacts</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n deal(s)</source>
        <translation><numerusform>%n deal</numerusform><numerusform>%n deals</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n follow-up(s)</source>
        <translation><numerusform>%n follow-up</numerusform><numerusform>%n follow-ups</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n attachment(s)</source>
        <translation><numerusform>%n attachment</numerusform><numerusform>%n attachments</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n lead(s)</source>
        <translation><numerusform>%n lead</numerusform><numerusform>%n leads</numerusform></translation>
    </message>
</context>
<context>
    <name>PipelineScreen</name>
    <message numerus="yes">
        <source>%n deal(s)</source>
        <translation><numerusform>%n deal</numerusform><numerusform>%n deals</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n open deal(s)</source>
        <translation><numerusform>%n open deal</numerusform><numerusform>%n open deals</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n day(s) in stage</source>
        <translation><numerusform>%n day in stage</numerusform><numerusform>%n days in stage</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>⚠ Stalled: no follow-up for %n hour(s)</source>
        <translation><numerusform>⚠ Stalled: no follow-up for %n hour</numerusform><numerusform>⚠ Stalled: no follow-up for %n hours</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n deal(s) reassigned</source>
        <translation><numerusform>%n deal reassigned</numerusform><numerusform>%n deals reassigned</numerusform></translation>
    </message>
</context>
<context>
    <name>PoolPanel</name>
    <message numerus="yes">
        <source>%n in the pool</source>
        <translation><numerusform>%n in the pool</numerusform><numerusform>%n in the pool</numerusform></translation>
    </message>
</context>
<context>
    <name>ReadForm</name>
    <message numerus="yes">
        <source>Read with %n% confidence: please check</source>
        <translation><numerusform>Read with %n% confidence: please check</numerusform><numerusform>Read with %n% confidence: please check</numerusform></translation>
    </message>
</context>
<context>
    <name>ReassignDialog</name>
    <message numerus="yes">
        <source>Give %n selected record(s) to:</source>
        <translation><numerusform>Give %n selected record to:</numerusform><numerusform>Give %n selected records to:</numerusform></translation>
    </message>
</context>
<context>
    <name>RenewalsScreen</name>
    <message numerus="yes">
        <source>%n contract(s) in the next %1 days, %2 in all</source>
        <translation><numerusform>%n contract in the next %1 days, %2 in all</numerusform><numerusform>%n contracts in the next %1 days, %2 in all</numerusform></translation>
    </message>
</context>
<context>
    <name>SheetExport</name>
    <message numerus="yes">
        <source>Exported %n row(s) to %1</source>
        <translation><numerusform>Exported %n row to %1</numerusform><numerusform>Exported %n rows to %1</numerusform></translation>
    </message>
</context>
<context>
    <name>SuccessScreen</name>
    <message numerus="yes">
        <source>%n journey task(s) open</source>
        <translation><numerusform>%n journey task open</numerusform><numerusform>%n journey tasks open</numerusform></translation>
    </message>
</context>
<context>
    <name>SyncStatus</name>
    <message numerus="yes">
        <source>%n pending edit(s)</source>
        <translation><numerusform>%n pending edit</numerusform><numerusform>%n pending edits</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n conflict(s)</source>
        <translation><numerusform>%n conflict</numerusform><numerusform>%n conflicts</numerusform></translation>
    </message>
</context>
</TS>
