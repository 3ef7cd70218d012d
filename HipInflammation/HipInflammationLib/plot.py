"""The plot of the Hip Inflammation module: lesion gray-value proportion per coronal scoring slice, one series
per patient side, in a plot chart node (shown in the layout by the module).

The chart's data is a table with columns ``slice``, ``Right`` and ``Left`` (one row per slice scored on
either side; NaN where a side has no scoring slice, which the chart leaves out). The series and their
table are found again through the chart, so re-scoring updates them in place.
"""

import math

SERIES_SIDE = "AxSpA.HipSide"  # attribute of a series node: the patient side it shows
X_COLUMN = "slice"


def writeLesionPlot(volumeNode, document: dict, chartNode=None, name: str = ""):
    """Fill (or create, under the input's study) the chart of the document's per-slice lesion proportion."""
    from axspa.hip.segments import segment
    from axspa.slicer.hierarchy import place_if_new

    scene = volumeNode.GetScene()
    name = name or f"{volumeNode.GetName()} lesion proportion per slice"
    created = chartNode is None
    if created:
        chartNode = scene.AddNewNodeByClass("vtkMRMLPlotChartNode", name)
    series = {side: _seriesOf(chartNode, side) for side in ("right", "left")}
    table = next((s.GetTableNode() for s in series.values() if s is not None and s.GetTableNode()), None)
    newTable = table is None
    if newTable:
        table = scene.AddNewNodeByClass("vtkMRMLTableNode", f"{name} (data)")
    table.SetAndObserveTable(plotTable(document))
    table.SetLocked(True)
    place_if_new(table, newTable, volumeNode)
    for side, node in series.items():
        if node is None:
            node = scene.AddNewNodeByClass("vtkMRMLPlotSeriesNode", f"{side.capitalize()} hip")
            node.SetAttribute(SERIES_SIDE, side)
            place_if_new(node, True, volumeNode)
        node.SetAndObserveTableNodeID(table.GetID())
        node.SetXColumnName(X_COLUMN)
        node.SetYColumnName(side.capitalize())
        node.SetPlotType(node.PlotTypeScatter)
        node.SetMarkerStyle(node.MarkerStyleCircle)
        node.SetLineStyle(node.LineStyleSolid)
        node.SetColor(*segment(side, "femoral_bme").color)
        if not chartNode.HasPlotSeriesNodeID(node.GetID()):
            chartNode.AddAndObservePlotSeriesNodeID(node.GetID())
    chartNode.SetTitle("Lesion gray-value proportion per coronal slice")
    chartNode.SetXAxisTitle("coronal slice (index)")
    chartNode.SetYAxisTitle("femoral BME / femoral head STIR intensity")
    chartNode.SetLegendVisibility(True)
    place_if_new(chartNode, created, volumeNode)
    return chartNode


def plotTable(document: dict):
    """vtkTable: ``slice`` and each side's gray-value proportion on it (NaN where the side has no row)."""
    import vtk

    values = {side: {row["index"]: row["gray_value_proportion"] for row in document["sides"][side].get("slices", [])}
              for side in ("right", "left")}
    slices = sorted(set(values["right"]) | set(values["left"]))
    table = vtk.vtkTable()
    for column, get in ((X_COLUMN, lambda s: float(s)),
                        ("Right", lambda s: float(values["right"].get(s, math.nan))),
                        ("Left", lambda s: float(values["left"].get(s, math.nan)))):
        array = vtk.vtkDoubleArray()
        array.SetName(column)
        array.SetNumberOfValues(len(slices))
        for r, s in enumerate(slices):
            array.SetValue(r, get(s))
        table.AddColumn(array)
    return table


def plotSeries(chartNode) -> dict:
    """{side: series node} of a chart this module made."""
    return {side: node for side in ("right", "left") if (node := _seriesOf(chartNode, side)) is not None}


def _seriesOf(chartNode, side: str):
    for n in range(chartNode.GetNumberOfPlotSeriesNodes()):
        node = chartNode.GetNthPlotSeriesNode(n)
        if node is not None and node.GetAttribute(SERIES_SIDE) == side:
            return node
    return None
