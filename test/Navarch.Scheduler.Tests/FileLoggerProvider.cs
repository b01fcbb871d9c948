using Microsoft.Extensions.Logging;

namespace Navarch.Scheduler.Tests;

/// <summary>Appends log lines to a file, for looking into a failing integration test.</summary>
internal sealed class FileLoggerProvider(string path) : ILoggerProvider, ILogger
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            File.AppendAllText(path, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {formatter(state, exception)} {exception}\n");
        }
    }

    public void Dispose()
    {
    }
}
