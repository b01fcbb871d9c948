using Microsoft.Extensions.Logging;

namespace Navarch.Controllers.Certificates;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "CertificateSigningRequest {Name} has a request that does not parse: {Reason}")]
    public static partial void Unparseable(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Approved CertificateSigningRequest {Name} for {Signer} requested by {User}")]
    public static partial void Approved(ILogger logger, string name, string signer, string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "Signed CertificateSigningRequest {Name} for {Signer}, valid until {NotAfter:O}")]
    public static partial void Signed(ILogger logger, string name, string signer, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CertificateSigningRequest {Name} failed: {Reason}")]
    public static partial void Refused(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted CertificateSigningRequest {Name}: {Reason}")]
    public static partial void Cleaned(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete CertificateSigningRequest {Name}: {Reason}")]
    public static partial void CleanFailed(ILogger logger, string name, string reason);
}
