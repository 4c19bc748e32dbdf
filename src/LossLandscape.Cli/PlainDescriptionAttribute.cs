using System.ComponentModel;
using Spectre.Console;

namespace LossLandscape.Cli;

/// <summary>
/// An option or argument description shown as written: Spectre.Console renders descriptions as markup, so square
/// brackets (<c>[:key=value,...]</c>, <c>[0, 1]</c>, a constant such as <see cref="Data.DataCatalog.Syntax"/>) are
/// escaped here instead of in every string.
/// </summary>
[AttributeUsage(AttributeTargets.All)]
public sealed class PlainDescriptionAttribute(string text) : DescriptionAttribute(text)
{
    /// <inheritdoc />
    public override string Description => Markup.Escape(DescriptionValue);
}
