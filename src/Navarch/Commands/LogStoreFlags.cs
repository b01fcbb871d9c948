using System.CommandLine;
using Navarch.ApiServer.ContainerLogs;

namespace Navarch.Commands;

/// <summary>The central log store's bounds on <c>navarch server</c> and <c>navarch apiserver</c>.</summary>
internal sealed class LogStoreFlags
{
    private readonly Option<int> _maxSize = new("--log-store-max-size") { Description = "The most megabytes of container logs the server keeps (the oldest go first)", DefaultValueFactory = _ => 256 };
    private readonly Option<string> _maxAge = Token.GoDuration.Option("--log-store-max-age", "How long the server keeps container logs", "168h");

    public LogStoreFlags()
    {
        _maxSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is var value and < 1)
            {
                result.AddError($"--log-store-max-size {value} must be at least 1 (megabyte)");
            }
        });
        _maxAge.Validators.Add(result =>
        {
            try
            {
                if (Token.GoDuration.Parse(result.GetValueOrDefault<string>() ?? "") <= TimeSpan.Zero)
                {
                    result.AddError("--log-store-max-age must be longer than 0");
                }
            }
            catch (FormatException)
            {
                // Reported by the duration's own validator.
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_maxSize);
        command.Options.Add(_maxAge);
    }

    public ContainerLogStoreOptions Options(ParseResult parse) => new()
    {
        MaxBytes = parse.GetValue(_maxSize) * 1024L * 1024,
        MaxAge = Token.GoDuration.Parse(parse.GetValue(_maxAge)!),
    };
}
