using System.Diagnostics;
using Navarch.Kubelet.LocalPath;

namespace Navarch.Kubelet.Tests;

/// <summary>
/// A node torn down (killall, a test's end) detaches the loop devices of its data dir — a raw block volume's stays
/// attached until detached, even once its image file is deleted — and only those.
/// </summary>
[Trait("Category", "Node")]
public sealed class LoopDeviceTeardownTests : IDisposable
{
    private readonly DirectoryInfo _mine = Directory.CreateTempSubdirectory("nvloop-mine-");
    private readonly DirectoryInfo _other = Directory.CreateTempSubdirectory("nvloop-other-");
    private readonly List<string> _attached = [];

    public void Dispose()
    {
        foreach (string device in _attached.Where(d => Backing(d) is not null))
        {
            Run("losetup", "-d", device);
        }

        _mine.Delete(recursive: true);
        _other.Delete(recursive: true);
    }

    [Fact]
    public async Task Detaches_the_devices_backed_by_files_under_the_data_dir_also_deleted_ones()
    {
        string kept = Attach(Path.Combine(_mine.FullName, "agent", "kept.img"));
        string deleted = Attach(Path.Combine(_mine.FullName, "agent", "deleted.img"));
        File.Delete(Path.Combine(_mine.FullName, "agent", "deleted.img"));
        string elsewhere = Attach(Path.Combine(_other.FullName, "other.img"));

        IReadOnlyList<string> detached = await LoopImage.DetachAllUnderAsync(_mine.FullName, CancellationToken.None);

        Assert.Equal(new[] { kept, deleted }.Order(StringComparer.Ordinal), detached.Order(StringComparer.Ordinal));
        Assert.Null(Backing(kept));
        Assert.Null(Backing(deleted));
        Assert.Equal(Path.Combine(_other.FullName, "other.img"), Backing(elsewhere));
    }

    private string Attach(string image)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(image)!);
        using (FileStream file = File.Create(image))
        {
            file.SetLength(1024 * 1024);
        }

        string device = Run("losetup", "--find", "--show", image).Trim();
        _attached.Add(device);
        return device;
    }

    /// <summary>The file behind a loop device, or null when it is detached.</summary>
    private static string? Backing(string device)
    {
        string path = $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";
        return File.Exists(path) ? File.ReadAllText(path).TrimEnd('\n') : null;
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
