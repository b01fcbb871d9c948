using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>
/// navarch published once by scripts/publish.sh as the single self-contained executable for this machine, in a temp
/// dist dir (its own artifacts dir: the repo's bin/ and obj/ are not touched); shared by the tests of the
/// <see cref="PublishedBinaryCollection"/> and removed after them. The publish compiles the whole product again; a run
/// that has published already (CI's publish step) names the executable in NAVARCH_TEST_PUBLISHED_BINARY instead.
/// </summary>
public sealed class PublishedBinary : IAsyncLifetime
{
    private readonly DirectoryInfo _dist = Directory.CreateTempSubdirectory("navarch-dist-");

    /// <summary>The executable.</summary>
    public string Path { get; private set; } = "";

    /// <summary>The repository the tests run from.</summary>
    public static string Repo => System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(NavarchServer.FindBinary())!, "..", "..", "..", "..", ".."));

    /// <summary>How long the publish took (reported by the tests: it is most of their time).</summary>
    public TimeSpan PublishTime { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("NAVARCH_TEST_PUBLISHED_BINARY") is { Length: > 0 } published)
        {
            Path = published;
            return;
        }

        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo }.Isolated();
        start.ArgumentList.Add("scripts/publish.sh");
        start.Environment["NAVARCH_DIST_DIR"] = _dist.FullName;
        var watch = Stopwatch.StartNew();
        using Process publish = Process.Start(start)!;
        Task<string> errors = publish.StandardError.ReadToEndAsync();
        string output = await publish.StandardOutput.ReadToEndAsync();
        await publish.WaitForExitAsync();
        PublishTime = watch.Elapsed;
        Assert.True(publish.ExitCode == 0, "scripts/publish.sh failed:\n" + await errors);
        Path = output.Trim();
        Assert.True(File.Exists(Path), $"scripts/publish.sh printed {Path}, which does not exist");

        // The build dir is large and of no further use; only the executable is.
        Directory.Delete(System.IO.Path.Combine(_dist.FullName, ".build"), recursive: true);
    }

    public Task DisposeAsync()
    {
        _dist.Delete(recursive: true);
        return Task.CompletedTask;
    }
}
