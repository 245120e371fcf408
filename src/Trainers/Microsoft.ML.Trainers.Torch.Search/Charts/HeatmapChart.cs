using System;
using System.Collections.Generic;
using System.IO;
using ScottPlot;
using SkiaSharp;

namespace Microsoft.ML.Trainers.Torch.Search.Charts;

/// <summary>
/// A labelled heatmap (rows × columns of values, NaN for empty cells, the value printed in each cell) rendered
/// headless with ScottPlot to PNG; the experiment report and the weight-decay sample draw their grids with it.
/// </summary>
public sealed class HeatmapChart
{
    /// <summary>Creates a chart of <paramref name="values"/>[row, column]; row 0 is drawn at the bottom.</summary>
    /// <param name="values">The cell values; NaN cells are drawn grey and left unlabelled.</param>
    /// <param name="columnLabels">One label per column (the x axis).</param>
    /// <param name="rowLabels">One label per row (the y axis).</param>
    public HeatmapChart(double[,] values, IReadOnlyList<string> columnLabels, IReadOnlyList<string> rowLabels)
    {
        Values = values ?? throw new ArgumentNullException(nameof(values));
        ColumnLabels = columnLabels ?? throw new ArgumentNullException(nameof(columnLabels));
        RowLabels = rowLabels ?? throw new ArgumentNullException(nameof(rowLabels));
        if (columnLabels.Count != values.GetLength(1) || rowLabels.Count != values.GetLength(0))
        {
            throw new ArgumentException($"The grid is {values.GetLength(0)} rows × {values.GetLength(1)} columns but there are {rowLabels.Count} row and {columnLabels.Count} column labels.", nameof(values));
        }
    }

    /// <summary>The cell values, [row, column].</summary>
    public double[,] Values { get; }

    /// <summary>The x-axis labels.</summary>
    public IReadOnlyList<string> ColumnLabels { get; }

    /// <summary>The y-axis labels.</summary>
    public IReadOnlyList<string> RowLabels { get; }

    /// <summary>The title above the plot.</summary>
    public string Title { get; set; } = "";

    /// <summary>The x-axis title.</summary>
    public string XLabel { get; set; } = "";

    /// <summary>The y-axis title.</summary>
    public string YLabel { get; set; } = "";

    /// <summary>The colour bar's title.</summary>
    public string ValueLabel { get; set; } = "";

    /// <summary>Optional text per cell replacing the printed value (null entries print the value).</summary>
    public string?[,]? CellText { get; set; }

    /// <summary>The format of printed values.</summary>
    public string ValueFormat { get; set; } = "F3";

    /// <summary>Outline the cells holding the best value of each column (e.g. the best weight decay per learning rate).</summary>
    public bool MarkBestPerColumn { get; set; }

    /// <summary>With <see cref="MarkBestPerColumn"/>, whether the best is the smallest value (losses) rather than the largest.</summary>
    public bool LowerIsBetter { get; set; }

    /// <summary>Fixes the colour range (to share one scale across charts); null uses the data's range.</summary>
    public (double Min, double Max)? ColorRange { get; set; }

    /// <summary>Builds the ScottPlot plot.</summary>
    public Plot CreatePlot()
    {
        int rows = Values.GetLength(0), columns = Values.GetLength(1);
        // ScottPlot draws intensity row 0 at the top; flip so row 0 of the data sits at the bottom, like a y axis.
        var flipped = new double[rows, columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                flipped[rows - 1 - r, c] = Values[r, c];
            }
        }
        var plot = new Plot();
        bool allMissing = true;
        foreach (double v in Values)
        {
            allMissing &= double.IsNaN(v);
        }
        if (allMissing)
        {
            // ScottPlot cannot derive a colour range from NaN only (an experiment whose first rung completed nothing).
            flipped[0, 0] = 0;
        }
        var heatmap = plot.Add.Heatmap(flipped);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.Extent = new CoordinateRect(-0.5, columns - 0.5, -0.5, rows - 0.5);
        heatmap.NaNCellColor = Colors.LightGray;
        if (ColorRange is (double min, double max))
        {
            heatmap.ManualRange = new ScottPlot.Range(min, max);
        }
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Label = ValueLabel;

        (double lo, double hi) = ColorRange ?? Range();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double v = Values[r, c];
                string? text = CellText?[r, c] ?? (double.IsNaN(v) ? null : v.ToString(ValueFormat, System.Globalization.CultureInfo.InvariantCulture));
                if (text == null)
                {
                    continue;
                }
                var label = plot.Add.Text(text, c, r);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontSize = 11;
                // Dark text on the light (yellow) end of viridis, light text on the dark end.
                double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
                label.LabelFontColor = !double.IsNaN(v) && t > 0.6 ? Colors.Black : Colors.White;
            }
        }
        if (MarkBestPerColumn)
        {
            for (int c = 0; c < columns; c++)
            {
                int best = -1;
                for (int r = 0; r < rows; r++)
                {
                    double v = Values[r, c];
                    if (!double.IsNaN(v) && (best < 0 || (LowerIsBetter ? v < Values[best, c] : v > Values[best, c])))
                    {
                        best = r;
                    }
                }
                if (best >= 0)
                {
                    var box = plot.Add.Rectangle(c - 0.47, c + 0.47, best - 0.47, best + 0.47);
                    box.FillStyle.Color = Colors.Transparent;
                    box.LineStyle.Color = Colors.Red;
                    box.LineStyle.Width = 3;
                }
            }
        }

        plot.Axes.Bottom.TickGenerator = ManualTicks(ColumnLabels);
        plot.Axes.Left.TickGenerator = ManualTicks(RowLabels);
        plot.Axes.SetLimits(-0.5, columns - 0.5, -0.5, rows - 0.5);
        plot.Title(Title);
        plot.XLabel(XLabel);
        plot.YLabel(YLabel);
        return plot;
    }

    /// <summary>Renders the chart to a PNG file.</summary>
    public void SavePng(string path, int width = 800, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(path);
        CreatePlot().SavePng(path, width, height);
    }

    /// <summary>Renders several charts side by side into one PNG (each <paramref name="width"/> × <paramref name="height"/>).</summary>
    public static void SaveSideBySide(string path, IReadOnlyList<HeatmapChart> charts, int width = 700, int height = 560)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(charts);
        if (charts.Count == 0)
        {
            throw new ArgumentException("No charts to draw.", nameof(charts));
        }
        var info = new SKImageInfo(width * charts.Count, height);
        using SKSurface surface = SKSurface.Create(info);
        surface.Canvas.Clear(SKColors.White);
        for (int i = 0; i < charts.Count; i++)
        {
            byte[] png = charts[i].CreatePlot().GetImageBytes(width, height, ImageFormat.Png);
            using SKBitmap panel = SKBitmap.Decode(png);
            surface.Canvas.DrawBitmap(panel, i * width, 0);
        }
        using SKImage image = surface.Snapshot();
        using SKData data = image.Encode(SKEncodedImageFormat.Png, 100);
        using FileStream file = File.Create(path);
        data.SaveTo(file);
    }

    private (double Min, double Max) Range()
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in Values)
        {
            if (!double.IsNaN(v))
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        return double.IsInfinity(min) ? (0, 1) : (min, max);
    }

    private static ScottPlot.TickGenerators.NumericManual ManualTicks(IReadOnlyList<string> labels)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int i = 0; i < labels.Count; i++)
        {
            ticks.AddMajor(i, labels[i]);
        }
        return ticks;
    }
}
