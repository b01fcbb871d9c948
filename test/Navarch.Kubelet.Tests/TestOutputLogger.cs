using Microsoft.Extensions.Logging;

namespace Navarch.Kubelet.Tests;

/// <summary>One category's logger for <see cref="TestOutputLoggerProvider"/>.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category.Split('.')[^1]}: {formatter(state, exception)}");
        }
        catch (InvalidOperationException)
        {
            // The test has finished.
        }
    }
}
