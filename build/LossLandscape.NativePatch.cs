// Compiled by MSBuild's RoslynCodeTaskFactory (see LossLandscape.targets). Kept free of project dependencies.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Makes TorchSharp's <c>libLibTorchSharp.so</c> load with an older libstdc++ (GCC 12: Debian 12, Ubuntu 22.04).
/// The library declares a need for <c>GLIBCXX_3.4.32</c> only because GCC 13's &lt;iostream&gt; pins the symbol
/// <c>_ZSt21ios_base_library_initv</c>, which no relocation uses. Marking that version requirement weak
/// (<c>vna_flags |= VER_FLG_WEAK</c> in <c>.gnu.version_r</c>) lets the dynamic loader accept the older libstdc++.
/// Only the copy in the build or publish output is rewritten (atomically, never in place), never the NuGet cache, and
/// nothing is changed where the system libstdc++ already provides every listed version.
/// </summary>
public sealed class LossLandscapePatchTorchNative : Task
{
    /// <summary>The native libraries to patch (missing files are skipped).</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Semicolon-separated version names to mark weak.</summary>
    public string WeakVersions { get; set; } = "GLIBCXX_3.4.32";

    /// <summary>Patch even where the system libstdc++ has the versions (for tests of the patch itself).</summary>
    public bool Force { get; set; }

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        var names = new HashSet<string>(WeakVersions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries));
        if (names.Count == 0) return true;

        if (!Force)
        {
            var missing = MissingFromSystemLibStdCxx(names);
            if (missing.Count == 0)
            {
                Log.LogMessage(MessageImportance.Low, "LossLandscape: system libstdc++ provides {0}; TorchSharp natives left unchanged.", string.Join(", ", names));
                return true;
            }
            names = missing;
        }

        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            if (!File.Exists(path)) continue;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var changed = MarkVersionsWeak(bytes, names);
                if (changed.Count == 0)
                {
                    Log.LogMessage(MessageImportance.Low, "LossLandscape: {0} needs no patch.", path);
                    continue;
                }
                var tmp = path + ".lltmp";
                File.WriteAllBytes(tmp, bytes);
                File.Replace(tmp, path, null);
                Log.LogMessage(MessageImportance.Normal, "LossLandscape: marked {0} weak in {1} (system libstdc++ lacks it).", string.Join(", ", changed), path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is InvalidDataException)
            {
                Log.LogWarning("LossLandscape: could not patch {0}: {1}. TorchSharp may fail to load on this system's libstdc++.", path, ex.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static HashSet<string> MissingFromSystemLibStdCxx(HashSet<string> names)
    {
        foreach (var candidate in LibStdCxxCandidates)
        {
            if (!File.Exists(candidate)) continue;
            var text = Encoding.ASCII.GetString(File.ReadAllBytes(candidate));
            var missing = new HashSet<string>();
            foreach (var n in names)
                if (text.IndexOf(n + "\0", StringComparison.Ordinal) < 0) missing.Add(n);
            return missing;
        }
        return new HashSet<string>(names); // no system libstdc++ found where expected: patch to be safe
    }

    /// <summary>Sets VER_FLG_WEAK on every version requirement (Elf64_Vernaux) whose name is in <paramref name="names"/>.</summary>
    public static List<string> MarkVersionsWeak(byte[] d, HashSet<string> names)
    {
        var changed = new List<string>();
        if (d.Length < 64 || d[0] != 0x7F || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (d[4] != 2 || d[5] != 1)
            throw new InvalidDataException("not a little-endian 64-bit ELF file");
        ulong shoff = BitConverter.ToUInt64(d, 0x28);
        int shentsize = BitConverter.ToUInt16(d, 0x3A);
        int shnum = BitConverter.ToUInt16(d, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long sh = checked((long)shoff + (long)i * shentsize);
            uint type = BitConverter.ToUInt32(d, (int)sh + 4);
            if (type != 0x6ffffffe) continue; // SHT_GNU_verneed
            long off = (long)BitConverter.ToUInt64(d, (int)sh + 0x18);
            uint link = BitConverter.ToUInt32(d, (int)sh + 0x28);
            uint count = BitConverter.ToUInt32(d, (int)sh + 0x2C);
            long strSh = checked((long)shoff + (long)link * shentsize);
            long strOff = (long)BitConverter.ToUInt64(d, (int)strSh + 0x18);
            long vn = off;
            for (uint k = 0; k < count; k++)
            {
                int cnt = BitConverter.ToUInt16(d, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(d, (int)vn + 8);
                for (int j = 0; j < cnt; j++)
                {
                    ushort flags = BitConverter.ToUInt16(d, (int)aux + 4);
                    uint nameOff = BitConverter.ToUInt32(d, (int)aux + 8);
                    var name = CString(d, strOff + nameOff);
                    if (names.Contains(name) && (flags & 0x2) == 0)
                    {
                        flags |= 0x2; // VER_FLG_WEAK
                        d[aux + 4] = (byte)(flags & 0xFF);
                        d[aux + 5] = (byte)(flags >> 8);
                        changed.Add(name);
                    }
                    uint next = BitConverter.ToUInt32(d, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(d, (int)vn + 12);
                if (vnNext == 0) break;
                vn += vnNext;
            }
        }
        return changed;
    }

    private static string CString(byte[] d, long at)
    {
        int end = (int)at;
        while (end < d.Length && d[end] != 0) end++;
        return Encoding.ASCII.GetString(d, (int)at, end - (int)at);
    }
}
