using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ForecastMlNet;

/// <summary>A line chart as SVG text, written by hand: years across, values up, one polyline per series.</summary>
public static class Plot
{
    public sealed record Series(string Name, int[] Years, float[] Values, string Color, bool Dashed = false);

    public static string Svg(string title, IReadOnlyList<Series> series, int heldOutFrom)
    {
        const double Width = 800, Height = 380, Left = 50, Right = 170, Top = 30, Bottom = 40;
        var first = series.Min(s => s.Years[0]);
        var last = series.Max(s => s.Years[^1]);
        var top = Math.Ceiling(series.Max(s => s.Values.Max()) / 50) * 50;
        double Xv(double year) => Left + (year - first) / (last - first) * (Width - Left - Right);
        string X(double year) => F(Xv(year));
        string Y(double value) => F(Height - Bottom - value / top * (Height - Top - Bottom));
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"12\">");
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"18\" font-size=\"14\">{title}</text>");
        // The held-out years, shaded.
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"<rect x=\"{X(heldOutFrom - 0.5)}\" y=\"{Top}\" width=\"{F(Xv(last) - Xv(heldOutFrom - 0.5))}\" height=\"{Height - Top - Bottom}\" fill=\"#eeeeee\"/>");
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{X(heldOutFrom)}\" y=\"{Top + 14}\" fill=\"#666\">held out</text>");
        for (var v = 0.0; v <= top; v += 50)
            svg.AppendLine(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left}\" x2=\"{F(Width - Right)}\" y1=\"{Y(v)}\" y2=\"{Y(v)}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{Y(v)}\" text-anchor=\"end\" dy=\"4\">{v}</text>");
        for (var year = (first + 9) / 10 * 10; year <= last; year += 10)
            svg.AppendLine(CultureInfo.InvariantCulture,
                $"<line x1=\"{X(year)}\" x2=\"{X(year)}\" y1=\"{F(Height - Bottom)}\" y2=\"{F(Height - Bottom + 4)}\" stroke=\"black\"/><text x=\"{X(year)}\" y=\"{F(Height - Bottom + 18)}\" text-anchor=\"middle\">{year}</text>");
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"<line x1=\"{Left}\" x2=\"{F(Width - Right)}\" y1=\"{F(Height - Bottom)}\" y2=\"{F(Height - Bottom)}\" stroke=\"black\"/>");
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var points = string.Join(" ", s.Years.Zip(s.Values, (year, value) => $"{X(year)},{Y(value)}"));
            var dash = s.Dashed ? " stroke-dasharray=\"5,3\"" : "";
            svg.AppendLine(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.8\"{dash} points=\"{points}\"/>");
            var y = Top + 20 + i * 20;
            svg.AppendLine(CultureInfo.InvariantCulture,
                $"<line x1=\"{F(Width - Right + 12)}\" x2=\"{F(Width - Right + 36)}\" y1=\"{y}\" y2=\"{y}\" stroke=\"{s.Color}\" stroke-width=\"1.8\"{dash}/><text x=\"{F(Width - Right + 42)}\" y=\"{y}\" dy=\"4\">{s.Name}</text>");
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
}
