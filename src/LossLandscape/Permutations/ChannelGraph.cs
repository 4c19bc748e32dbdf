namespace LossLandscape.Permutations;

/// <summary>
/// The feature spaces of a network and what ties their channels together, recorded while walking its modules; turned
/// into permutation groups by <see cref="Groups"/>.
/// </summary>
/// <remarks>
/// A feature space is the channel axis of one activation tensor: the outputs of a Linear or Conv2d layer (and of the
/// BatchNorm and pointwise nonlinearity after it, which act per channel). Each layer's weight indexes its output
/// space on axis 0 and its input space on axis 1. A residual addition <c>main + pad(shortcut)</c> makes channel c of the
/// shortcut's space and channel c + offset of the main space one unit (union-find over (space, channel)). The input
/// and output spaces are fixed. A permutation preserves the function when every unit keeps its ties: so the units are
/// grouped by the set of spaces they appear in, and only units of one group may be exchanged. Zero-padded channels of
/// an option-A shortcut appear in fewer spaces than the channels carried over from the narrower stage, so they form
/// their own group: the wider stage's permutation keeps the carried channels in the padded slots' complement.
/// </remarks>
internal sealed class ChannelGraph
{
    private readonly List<(string Name, int Width, bool Fixed)> _spaces = new();
    private readonly List<int> _offsets = new();
    private readonly List<int> _parent = new();
    private readonly List<PermutedAxis> _axes = new();
    private readonly List<string> _unpermuted = new();
    private readonly Dictionary<int, List<string>> _observers = new();

    public IReadOnlyList<PermutedAxis> Axes => _axes;

    public IReadOnlyList<string> Unpermuted => _unpermuted;

    public IReadOnlyList<string> SpaceNames => _spaces.Select(s => s.Name).ToArray();

    public IReadOnlyList<int> Widths => _spaces.Select(s => s.Width).ToArray();

    public IReadOnlyDictionary<int, List<string>> Observers => _observers;

    /// <summary>A new space of <paramref name="width"/> channels.</summary>
    public int Space(string name, int width, bool isFixed = false)
    {
        _spaces.Add((name, width, isFixed));
        _offsets.Add(_parent.Count);
        for (int c = 0; c < width; c++) _parent.Add(_parent.Count);
        return _spaces.Count - 1;
    }

    /// <summary>The input space (fixed).</summary>
    public int Input(int width) => Space("input", width, isFixed: true);

    /// <summary>A Linear or Conv2d layer <paramref name="name"/> from <paramref name="input"/> to a new space of <paramref name="outputs"/> channels.</summary>
    public int Layer(string name, int input, int outputs, bool hasBias)
    {
        int output = Space(name, outputs);
        _axes.Add(new PermutedAxis(name + ".weight", 0, output));
        _axes.Add(new PermutedAxis(name + ".weight", 1, input));
        if (hasBias) _axes.Add(new PermutedAxis(name + ".bias", 0, output));
        return output;
    }

    /// <summary>A BatchNorm layer <paramref name="name"/> on <paramref name="space"/>: scale, shift and running statistics.</summary>
    public void BatchNorm(string name, int space, bool affine, bool tracksStatistics)
    {
        if (affine)
        {
            _axes.Add(new PermutedAxis(name + ".weight", 0, space));
            _axes.Add(new PermutedAxis(name + ".bias", 0, space));
        }
        if (tracksStatistics)
        {
            _axes.Add(new PermutedAxis(name + ".running_mean", 0, space));
            _axes.Add(new PermutedAxis(name + ".running_var", 0, space));
            _unpermuted.Add(name + ".num_batches_tracked");
        }
    }

    /// <summary><c>main += pad(shortcut)</c>: channel c of the shortcut is channel c + <paramref name="offset"/> of the main space.</summary>
    public void Add(int main, int shortcut, int offset)
    {
        int wm = _spaces[main].Width, ws = _spaces[shortcut].Width;
        if (offset < 0 || offset + ws > wm)
            throw new LossLandscapeException($"A residual addition puts {ws} channels of '{_spaces[shortcut].Name}' at offset {offset} of the {wm} channels of '{_spaces[main].Name}', which do not fit.");
        for (int c = 0; c < ws; c++) Union(_offsets[shortcut] + c, _offsets[main] + offset + c);
    }

    /// <summary>Marks <paramref name="space"/> as fixed (the network's outputs).</summary>
    public void Fix(int space) => _spaces[space] = (_spaces[space].Name, _spaces[space].Width, true);

    /// <summary>Records that the output of module <paramref name="module"/> (by its name in <c>named_modules</c>) has <paramref name="space"/> on axis 1.</summary>
    public void Observe(int space, string module)
    {
        if (!_observers.TryGetValue(space, out var list)) _observers[space] = list = new List<string>();
        list.Add(module);
    }

    /// <summary>The permutation groups: units that appear in the same set of spaces, none of them fixed.</summary>
    public IReadOnlyList<PermutationGroup> Groups()
    {
        // Each unit (union-find class) and the (space, channel) places it appears in.
        var places = new Dictionary<int, List<(int Space, int Channel)>>();
        for (int s = 0; s < _spaces.Count; s++)
            for (int c = 0; c < _spaces[s].Width; c++)
            {
                int root = Find(_offsets[s] + c);
                if (!places.TryGetValue(root, out var list)) places[root] = list = new List<(int, int)>();
                list.Add((s, c));
            }
        var bySignature = new Dictionary<string, List<List<(int Space, int Channel)>>>();
        var order = new List<string>();
        foreach (var unit in places.Values.OrderBy(p => p[0].Space).ThenBy(p => p[0].Channel))
        {
            if (unit.Any(p => _spaces[p.Space].Fixed)) continue;
            var spaces = unit.Select(p => p.Space).ToArray();
            if (spaces.Distinct().Count() != spaces.Length)
                throw new LossLandscapeException($"A residual addition ties two channels of '{_spaces[spaces[0]].Name}' to each other; such a network cannot be permuted unit by unit.");
            string key = string.Join(",", spaces);
            if (!bySignature.TryGetValue(key, out var units))
            {
                bySignature[key] = units = new List<List<(int, int)>>();
                order.Add(key);
            }
            units.Add(unit);
        }
        var groups = new List<PermutationGroup>();
        foreach (var key in order)
        {
            var units = bySignature[key];
            var spaces = units[0].Select(p => p.Space).ToArray();
            var members = spaces.Select(s => (s, units.Select(u => u.First(p => p.Space == s).Channel).ToArray())).ToArray();
            var first = members[0];
            string channels = first.Item2.Length == _spaces[first.s].Width ? "" : $" channels {Ranges(first.Item2)}";
            groups.Add(new PermutationGroup($"{_spaces[first.s].Name}{channels}", units.Count, members));
        }
        return groups;
    }

    private static string Ranges(int[] channels)
    {
        var parts = new List<string>();
        int start = channels[0], prev = channels[0];
        foreach (var c in channels.Skip(1).Append(int.MinValue))
        {
            if (c == prev + 1) { prev = c; continue; }
            parts.Add(start == prev ? $"{start}" : $"{start}-{prev}");
            start = prev = c;
        }
        return string.Join(",", parts);
    }

    private int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    private void Union(int x, int y)
    {
        int rx = Find(x), ry = Find(y);
        if (rx != ry) _parent[Math.Max(rx, ry)] = Math.Min(rx, ry);
    }
}
