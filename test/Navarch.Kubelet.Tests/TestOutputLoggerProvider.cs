using Microsoft.Extensions.Logging;

namespace Navarch.Kubelet.Tests;

/// <summary>Sends log lines to xunit's test output (shown for failing tests).</summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

    public void Dispose()
    {
    }
}
