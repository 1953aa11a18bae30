"""The team lead's cockpit (SPEC T3–T5): forecast with gap flags and each rep's past accuracy,
the stage-blockage heatmap, pipeline analytics and charts, for a chosen quarter or month.

Everything is computed on the store worker from the synced team data
(:mod:`app.views.cockpit_ops`), so it works offline; exports write the same tables as
``fieldcrm report`` to xlsx or PDF.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.forecast import cockpit_periods, parse_period, period_of
from app.domain.messages import Msg
from app.store.cockpit import report_sheets
from app.store.service import Change
from app.store.sheets import write_sheets
from app.views import cockpit_ops
from app.views.charts import PALETTE, BarChart, FunnelChart, LineChart, Series
from app.views.context import AppContext
from app.views.i18n import current, say
from app.views.widgets import ReloadingScreen, money, short_money, stage_name

RECORD_ID = Qt.ItemDataRole.UserRole
NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _item(text: str, *, number: bool = False, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if number:
        item.setTextAlignment(NUMBER)
    if tip:
        item.setToolTip(tip)
    return item


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setAlternatingRowColors(True)
    t.setWordWrap(False)
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return t


def _fit_height(t: QTableWidget) -> None:
    """Show every row without an inner scroll bar (the page scrolls instead)."""
    t.resizeRowsToContents()
    h = t.horizontalHeader().height() + 2 * t.frameWidth()
    h += sum(t.rowHeight(r) for r in range(t.rowCount()))
    if t.horizontalScrollBar().isVisible():
        h += t.horizontalScrollBar().height()
    t.setFixedHeight(h + 2)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _heat(share: float) -> QColor:
    """White for nothing missing to deep red for every deal missing the item."""
    share = max(0.0, min(share, 1.0))
    return QColor(int(255 - 57 * share), int(255 - 215 * share), int(255 - 215 * share))


class CockpitScreen(ReloadingScreen):
    """Forecast, blockages, pipeline and charts for the lead's team."""

    open_record = Signal(str, str)
    exported = Signal(str)  # the file an export wrote

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("cockpitScreen")
        self.data: cockpit_ops.Cockpit | None = None
        self.heat_cells: dict[tuple[int, int], dict[str, Any]] = {}

        self.period = QComboBox()
        self.period.setObjectName("cockpitPeriod")
        for p in cockpit_periods(ctx.today()):
            self.period.addItem(p.name, p.name)
        self.period.setCurrentIndex(3)
        self.period.currentIndexChanged.connect(lambda _i: self._period_chosen())
        self.export_xlsx = QPushButton(self.tr("Export to Excel…"))
        self.export_xlsx.setObjectName("cockpitExportXlsx")
        self.export_xlsx.clicked.connect(lambda: self.export("xlsx"))
        self.export_pdf = QPushButton(self.tr("Export to PDF…"))
        self.export_pdf.setObjectName("cockpitExportPdf")
        self.export_pdf.clicked.connect(lambda: self.export("pdf"))
        self.summary = QLabel()
        self.summary.setObjectName("cockpitSummary")
        top = QHBoxLayout()
        title = QLabel(self.tr("Team cockpit"))
        title.setStyleSheet("font-size:14pt; font-weight:bold;")
        top.addWidget(title)
        top.addSpacing(16)
        top.addWidget(QLabel(self.tr("Period")))
        top.addWidget(self.period)
        top.addWidget(self.summary, 1)
        top.addWidget(self.export_xlsx)
        top.addWidget(self.export_pdf)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("cockpitTabs")
        self.tabs.addTab(self._forecast_tab(), self.tr("Forecast"))
        self.tabs.addTab(self._heatmap_tab(), self.tr("Blockages"))
        self.tabs.addTab(self._pipeline_tab(), self.tr("Pipeline"))
        self.tabs.addTab(self._charts_tab(), self.tr("Charts"))
        self._shown: set[int] = set()
        self.tabs.currentChanged.connect(self._tab_chosen)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        # Computed the first time it is shown: a rep's window never pays for the team's figures.
        self._stale = True

    # ---- tabs ------------------------------------------------------------------------------
    def _scroll(self, inner: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(inner)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    def _heading(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-weight:bold; margin-top:8px;")
        return label

    def _forecast_tab(self) -> QWidget:
        self.forecast_table = _table(
            [
                self.tr("Rep"),
                self.tr("Commit"),
                self.tr("Evidence-weighted"),
                self.tr("Best case"),
                self.tr("Won"),
                self.tr("Commit − evidence"),
                self.tr("Open deals"),
                self.tr("Without evidence"),
                self.tr("Decision chain"),
                self.tr("Past commit error"),
            ]
        )
        self.forecast_table.setObjectName("forecastTable")
        self.accuracy_table = _table([self.tr("Rep")])
        self.accuracy_table.setObjectName("accuracyTable")
        self.forecast_note = QLabel()
        self.forecast_note.setWordWrap(True)
        self.forecast_note.setStyleSheet("color:#616161;")
        inner = QWidget()
        v = QVBoxLayout(inner)
        v.addWidget(self.forecast_table)
        v.addWidget(self.forecast_note)
        v.addWidget(
            self._heading(
                self.tr(
                    "Forecast accuracy: commit at the start of each period against what was won"
                )
            )
        )
        v.addWidget(self.accuracy_table)
        v.addStretch(1)
        return self._scroll(inner)

    def _heatmap_tab(self) -> QWidget:
        self.heatmap = QTableWidget()
        self.heatmap.setObjectName("heatmapTable")
        self.heatmap.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.heatmap.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.heatmap.setMouseTracking(True)
        self.heatmap.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        rows = self.heatmap.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 14)
        self.heatmap.cellClicked.connect(self.show_cell_deals)
        # The chosen cell keeps its colour (the heat), framed instead of painted over.
        self.heatmap.setStyleSheet(
            "QTableWidget { selection-background-color: rgba(13, 71, 161, 60);"
            " selection-color: black; }"
            " QTableWidget::item:selected { border: 3px solid #0d47a1; }"
        )
        self.heat_title = QLabel(self.tr("Click a cell to list the deals missing that item"))
        self.heat_title.setWordWrap(True)
        self.heat_deals = QListWidget()
        self.heat_deals.setObjectName("heatmapDeals")
        self.heat_deals.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.heat_deals.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.heat_deals.setSpacing(3)
        # Double-click or Enter opens the deal (both are "activation").
        self.heat_deals.itemActivated.connect(self._open_heat_deal)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.addWidget(self.heat_title)
        sv.addWidget(self.heat_deals, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.heatmap)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        return split

    def _pipeline_tab(self) -> QWidget:
        self.conversion_table = _table(
            [
                self.tr("From"),
                self.tr("To"),
                self.tr("Entered"),
                self.tr("Moved on"),
                self.tr("Rate"),
            ]
        )
        self.time_table = _table(
            [self.tr("Stage"), self.tr("Deals"), self.tr("Median days"), self.tr("P90 days")]
        )
        self.win_table = _table(
            [self.tr("Rep"), self.tr("Won"), self.tr("Lost"), self.tr("Win rate")]
        )
        self.stalled_table = _table([self.tr("Rep"), "<30", "30–60", "60+"])
        self.stalled_table.setHorizontalHeaderLabels(
            [self.tr("Rep"), self.tr("< 30 days"), self.tr("30–60 days"), self.tr("60+ days")]
        )
        self.loss_table = _table([self.tr("Lost from"), self.tr("Reason"), self.tr("Deals")])
        self.value_table = _table([self.tr("Rep")])
        for name, t in (
            ("conversionTable", self.conversion_table),
            ("timeInStageTable", self.time_table),
            ("winRateTable", self.win_table),
            ("stalledTable", self.stalled_table),
            ("lossTable", self.loss_table),
            ("valueTable", self.value_table),
        ):
            t.setObjectName(name)
        inner = QWidget()
        grid = QGridLayout(inner)
        blocks = [
            (self.tr("Conversion between stages"), self.conversion_table),
            (self.tr("Days in stage"), self.time_table),
            (self.tr("Win rate by rep"), self.win_table),
            (self.tr("Stalled deals by rep"), self.stalled_table),
            (self.tr("Loss reasons by stage"), self.loss_table),
            (self.tr("Open pipeline value by stage and rep"), self.value_table),
        ]
        for i, (heading, t) in enumerate(blocks):
            box = QWidget()
            bv = QVBoxLayout(box)
            bv.setContentsMargins(0, 0, 0, 0)
            bv.addWidget(self._heading(heading))
            bv.addWidget(t)
            bv.addStretch(1)
            if i == len(blocks) - 1:  # the widest table gets a row of its own
                grid.addWidget(box, (i + 1) // 2, 0, 1, 2)
            else:
                grid.addWidget(box, i // 2, i % 2)
        grid.setRowStretch(len(blocks), 1)
        return self._scroll(inner)

    def _charts_tab(self) -> QWidget:
        self.forecast_chart = BarChart()
        self.forecast_chart.setObjectName("forecastChart")
        self.funnel_chart = FunnelChart()
        self.funnel_chart.setObjectName("funnelChart")
        self.time_chart = BarChart()
        self.time_chart.setObjectName("timeChart")
        self.trend_chart = LineChart()
        self.trend_chart.setObjectName("trendChart")
        box = QWidget()
        grid = QGridLayout(box)
        grid.addWidget(self.forecast_chart, 0, 0)
        grid.addWidget(self.funnel_chart, 0, 1)
        grid.addWidget(self.time_chart, 1, 0)
        grid.addWidget(self.trend_chart, 1, 1)
        return box

    # ---- data --------------------------------------------------------------------------------
    def selected_period(self) -> str:
        return str(self.period.currentData())

    def reload(self) -> None:
        """Read the team's deals again and compute the chosen period's figures."""
        period, now = self.selected_period(), self.ctx.clock()
        self.ctx.runner.read(
            lambda s: cockpit_ops.cockpit(s, period, now), self.show_data, owner=self
        )

    def _period_chosen(self) -> None:
        period = self.selected_period()
        if self.data is None:
            self.reload()
            return
        data = self.data
        self.ctx.runner.read(lambda s: data.for_period(period, s), self.show_data, owner=self)

    def on_changed(self, changes: list[Change]) -> None:
        if any(c.entity in ("deal", "attachment", "followup", "*") for c in changes):
            self.reload_when_seen()

    def show_data(self, data: cockpit_ops.Cockpit) -> None:
        self.data = data
        self._shown = set()
        self._show_forecast(data)
        self._shown.add(0)
        self._tab_chosen(self.tabs.currentIndex())

    def _tab_chosen(self, index: int) -> None:
        """Draw a tab the first time it is shown for these figures (computed on the worker)."""
        data = self.data
        if data is None or index in self._shown:
            return
        self._shown.add(index)

        def draw(ready: cockpit_ops.Cockpit) -> None:
            if ready is not self.data:
                return  # other figures arrived meanwhile
            if index == 1:
                self._show_heatmap(ready)
            elif index == 2:
                self._show_pipeline(ready)
            elif index == 3:
                self._show_charts(ready)

        need = ("heatmap",) if index == 1 else ("pipeline",)
        self.ctx.runner.read(lambda s: data.ready(s, need), draw, owner=self)

    def _name(self, login: str) -> str:
        return self.data.names.get(login, login) if self.data else login

    def _show_forecast(self, data: cockpit_ops.Cockpit) -> None:
        fc = data.forecast
        errors = {a["rep"]: a["mean_commit_error"] for a in fc.get("accuracy", [])}
        t = self.forecast_table
        rows = [*fc["reps"], {**fc["team"], "rep": None}]
        t.setRowCount(len(rows))
        flagged = 0
        for r, rep in enumerate(rows):
            team = rep["rep"] is None
            name = self.tr("Team") if team else rep.get("name") or rep["rep"]
            cells = [
                _item(name),
                _item(money(rep["commit"]), number=True),
                _item(money(rep["weighted"]), number=True),
                _item(money(rep["best_case"]), number=True),
                _item(money(rep["won"]), number=True),
                _item(money(rep["gap"]), number=True),
                _item(f"{rep['open_deals']:,}", number=True),
                _item(f"{rep['no_evidence']:,}", number=True),
                _item(_pct(rep["chain_coverage"]), number=True),
                _item("" if team else _pct(errors.get(rep["rep"])), number=True),
            ]
            if rep["gap_flag"]:
                flagged += 0 if team else 1
                cells[5].setBackground(QColor("#ffcdd2"))
                cells[5].setToolTip(self.tr("The commit is well above what the evidence supports"))
                cells[5].setText("⚠ " + cells[5].text())
            for c, cell in enumerate(cells):
                if team:
                    font = QFont(cell.font())
                    font.setBold(True)
                    cell.setFont(font)
                t.setItem(r, c, cell)
        _fit_height(t)
        self.summary.setText(
            self.tr("%1 of %2 reps commit well above their evidence")
            .replace("%1", str(flagged))
            .replace("%2", str(len(fc["reps"])))
        )
        self.forecast_note.setText(
            self.tr(
                "Evidence-weighted: each open deal's amount times the milestones it has proved "
                "(NDA, POC, payment commitment), scaled by how much of its decision chain is "
                "mapped; won deals count in full. Best case: every open deal closing in the "
                "period."
            )
        )
        acc = fc.get("accuracy", [])
        periods = [p["period"] for p in acc[0]["periods"]] if acc else []
        a = self.accuracy_table
        a.setColumnCount(1 + len(periods) + 1)
        a.setHorizontalHeaderLabels([self.tr("Rep"), *periods, self.tr("Mean error")])
        a.setRowCount(len(acc))
        for r, rep in enumerate(acc):
            a.setItem(r, 0, _item(rep["name"]))
            for c, p in enumerate(rep["periods"], start=1):
                if p["commit"] is None or p["won"] is None:
                    a.setItem(r, c, _item("–", number=True))
                    continue
                err = p["commit_error"]
                cell = _item(
                    f"{short_money(p['commit'])} → {short_money(p['won'])}  ({_pct(err)})",
                    number=True,
                    tip=self.tr("Committed at the start of the period → won in it (error)"),
                )
                if err is not None and err > 0.3:
                    cell.setBackground(QColor("#fff3e0"))
                a.setItem(r, c, cell)
            a.setItem(r, len(periods) + 1, _item(_pct(rep["mean_commit_error"]), number=True))
        _fit_height(a)

    def _show_heatmap(self, data: cockpit_ops.Cockpit) -> None:
        rules = self.ctx.rules
        cells = data.heatmap["cells"]
        stages = [s for s in rules.stage_keys if rules.is_open(s)]
        locks: list[tuple[str, dict[str, str]]] = []
        for c in cells:
            if c["lock"] not in [k for k, _l in locks]:
                locks.append((c["lock"], c["lock_label"]))
        h = self.heatmap
        h.clear()
        h.setRowCount(len(locks))
        h.setColumnCount(len(stages))
        h.setHorizontalHeaderLabels([stage_name(rules, s) for s in stages])
        h.setVerticalHeaderLabels([say(Msg(**label)) for _k, label in locks])
        self.heat_cells = {}
        for r, (key, label) in enumerate(locks):
            for c, s in enumerate(stages):
                cell = next((x for x in cells if x["stage"] == s and x["lock"] == key), None)
                if cell is None:
                    item = _item("")
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setBackground(QColor("#f5f5f5"))
                    h.setItem(r, c, item)
                    continue
                self.heat_cells[(r, c)] = cell
                share = f"{cell['share']:.0%}" if cell["deals"] else "–"
                tip = (
                    self.tr("%1 of %2 deals in %3 are missing: %4")
                    .replace("%1", str(cell["missing"]))
                    .replace("%2", str(cell["deals"]))
                    .replace("%3", stage_name(rules, s))
                    .replace("%4", say(Msg(**label)))
                )
                item = _item(f"{share}  ({cell['missing']}/{cell['deals']})", tip=tip)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(_heat(cell["share"]))
                if cell["share"] > 0.6:
                    item.setForeground(QColor("white"))
                h.setItem(r, c, item)

    def show_cell_deals(self, row: int, column: int) -> None:
        """List the deals of a heatmap cell; activating one opens it."""
        cell = self.heat_cells.get((row, column))
        self.heat_deals.clear()
        if cell is None:
            return
        label = say(Msg(**cell["lock_label"]))
        self.heat_title.setText(
            self.tr("%1 — %2: %3 deal(s) missing it")
            .replace("%1", stage_name(self.ctx.rules, cell["stage"]))
            .replace("%2", label)
            .replace("%3", str(cell["missing"]))
        )
        ids = list(cell["deal_ids"])
        self.ctx.runner.read(
            lambda s: cockpit_ops.deals_brief(s, ids), self._show_heat_deals, owner=self
        )

    def _show_heat_deals(self, deals: list[dict[str, Any]]) -> None:
        self.heat_deals.clear()
        for d in deals:
            item = QListWidgetItem(
                f"{d['title']} · {d['customer'] or ''}\n{d['owner']} · {money(d['amount'])}"
            )
            item.setData(RECORD_ID, d["id"])
            self.heat_deals.addItem(item)

    def _open_heat_deal(self, item: QListWidgetItem) -> None:
        self.open_record.emit("deal", str(item.data(RECORD_ID)))

    def _show_pipeline(self, data: cockpit_ops.Cockpit) -> None:
        rules = self.ctx.rules
        pl = data.pipeline
        t = self.conversion_table
        t.setRowCount(len(pl["conversion"]))
        for r, c in enumerate(pl["conversion"]):
            t.setItem(r, 0, _item(stage_name(rules, c["from"])))
            t.setItem(r, 1, _item(stage_name(rules, c["to"])))
            t.setItem(r, 2, _item(f"{c['entered']:,}", number=True))
            t.setItem(r, 3, _item(f"{c['moved_on']:,}", number=True))
            t.setItem(r, 4, _item(_pct(c["rate"]), number=True))
        t = self.time_table
        t.setRowCount(len(pl["time_in_stage"]))
        for r, (s, v) in enumerate(pl["time_in_stage"].items()):
            t.setItem(r, 0, _item(stage_name(rules, s)))
            t.setItem(r, 1, _item(f"{v['deals']:,}", number=True))
            t.setItem(
                r,
                2,
                _item("–" if v["median_days"] is None else f"{v['median_days']:.1f}", number=True),
            )
            t.setItem(
                r, 3, _item("–" if v["p90_days"] is None else f"{v['p90_days']:.1f}", number=True)
            )
        t = self.win_table
        reps = sorted(pl["win_rate_by_rep"].items(), key=lambda kv: self._name(kv[0]))
        t.setRowCount(len(reps) + 1)
        for r, (rep, v) in enumerate([*reps, (None, pl["win_rate"])]):
            t.setItem(r, 0, _item(self.tr("Team") if rep is None else self._name(rep)))
            t.setItem(r, 1, _item(f"{v['won']:,}", number=True))
            t.setItem(r, 2, _item(f"{v['lost']:,}", number=True))
            t.setItem(r, 3, _item(_pct(v["rate"]), number=True))
        t = self.stalled_table
        stalled = sorted(pl["stalled_by_rep"].items(), key=lambda kv: self._name(kv[0]))
        t.setRowCount(len(stalled))
        for r, (rep, buckets) in enumerate(stalled):
            t.setItem(r, 0, _item(self._name(rep)))
            for c, b in enumerate(("<30", "30-60", "60+"), start=1):
                item = _item(f"{buckets.get(b, 0):,}", number=True)
                if b == "60+" and buckets.get(b, 0):
                    item.setBackground(QColor("#ffcdd2"))
                t.setItem(r, c, item)
        t = self.loss_table
        losses = [
            (s, reason, n)
            for s, reasons in pl["loss_reasons"].items()
            for reason, n in reasons.items()
        ]
        losses.sort(key=lambda x: (-x[2], x[0]))
        t.setRowCount(len(losses))
        for r, (s, reason, n) in enumerate(losses):
            t.setItem(r, 0, _item(stage_name(rules, s) if s != "unknown" else "–"))
            t.setItem(r, 1, _item(say(rules.lost_reason_label(reason))))
            t.setItem(r, 2, _item(f"{n:,}", number=True))
        open_stages = [s for s in rules.stage_keys if rules.is_open(s)]
        t = self.value_table
        t.setColumnCount(len(open_stages) + 2)
        t.setHorizontalHeaderLabels(
            [self.tr("Rep"), *(stage_name(rules, s) for s in open_stages), self.tr("Total")]
        )
        value = sorted(pl["value"].items(), key=lambda kv: self._name(kv[0]))
        t.setRowCount(len(value))
        for r, (rep, stages) in enumerate(value):
            t.setItem(r, 0, _item(self._name(rep)))
            for c, s in enumerate(open_stages, start=1):
                t.setItem(r, c, _item(short_money(stages.get(s, 0.0)), number=True))
            t.setItem(
                r, len(open_stages) + 1, _item(short_money(sum(stages.values())), number=True)
            )
        for table in (
            self.conversion_table,
            self.time_table,
            self.win_table,
            self.stalled_table,
            self.loss_table,
            self.value_table,
        ):
            _fit_height(table)

    def _show_charts(self, data: cockpit_ops.Cockpit) -> None:
        rules = self.ctx.rules
        fc = data.forecast
        reps = fc["reps"]
        names = [r.get("name") or r["rep"] for r in reps]
        big = current() == "zh"
        unit = 10_000 if big else 1_000

        def amount(v: float) -> str:
            return f"{v / unit:,.0f}{'万' if big else 'k'}"

        self.forecast_chart.set_data(
            self.tr("Commit vs evidence-weighted forecast per rep"),
            names,
            [
                Series(self.tr("Commit"), [r["commit"] for r in reps], PALETTE[1]),
                Series(self.tr("Evidence-weighted"), [r["weighted"] for r in reps], PALETTE[0]),
                Series(self.tr("Won"), [r["won"] for r in reps], PALETTE[2]),
            ],
            amount,
        )
        conv = data.pipeline["conversion"]
        stages = [c["from"] for c in conv]
        self.funnel_chart.set_data(
            self.tr("Funnel: deals that entered each stage in the period"),
            [stage_name(rules, s) for s in stages],
            [Series(self.tr("Deals"), [float(c["entered"]) for c in conv], PALETTE[0])],
            lambda v: f"{v:,.0f}",
        )
        tis = data.pipeline["time_in_stage"]
        self.time_chart.set_data(
            self.tr("Days in stage (median and p90)"),
            [stage_name(rules, s) for s in tis],
            [
                Series(self.tr("Median"), [v["median_days"] for v in tis.values()], PALETTE[0]),
                Series("P90", [v["p90_days"] for v in tis.values()], PALETTE[1]),
            ],
            lambda v: f"{v:,.0f}",
        )
        trend = data.pipeline["win_rate_trend"]
        self.trend_chart.set_data(
            self.tr("Win rate by period"),
            [t["period"] for t in trend],
            [Series(self.tr("Team"), [t["rate"] for t in trend], PALETTE[2])],
            lambda v: f"{v:.0%}",
        )

    # ---- export --------------------------------------------------------------------------------
    def export(self, kind: str, path: Path | None = None) -> None:
        """Write every cockpit report to one xlsx workbook or PDF (asks where unless given);
        the reports not yet computed are computed on the worker first."""
        if self.data is None:
            return
        if path is None:
            suffix = "Excel (*.xlsx)" if kind == "xlsx" else "PDF (*.pdf)"
            name, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export the cockpit"), f"cockpit-{self.data.period}.{kind}", suffix
            )
            if not name:
                return
            path = Path(name)
        target = path
        self.ctx.runner.read(
            self.data.ready, lambda data: self._write(kind, target, data), owner=self
        )

    def _write(self, kind: str, path: Path, data: cockpit_ops.Cockpit) -> None:
        lang = current()
        rules = self.ctx.rules
        sheets = [
            *report_sheets("forecast", data.forecast, rules, lang),
            *report_sheets("heatmap", data.heatmap, rules, lang),
            *report_sheets("pipeline", data.pipeline, rules, lang),
        ]
        try:
            if kind == "xlsx":
                write_sheets(path, sheets)
            else:
                from app.views.report_pdf import write_pdf

                write_pdf(path, self.tr("Team cockpit"), data.period, sheets)
        except (OSError, ValueError) as exc:
            self.ctx.runner.problem.emit(
                Msg("无法写入文件:{e}", "Could not write the file: {e}").format(e=exc)
            )
            return
        self.exported.emit(str(path))


def default_period(ctx: AppContext) -> str:
    return parse_period(period_of(ctx.today()).name).name


__all__ = ["CockpitScreen", "default_period"]
