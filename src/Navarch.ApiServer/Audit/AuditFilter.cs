using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// k8s.io/apiserver's audit filter, run once a request is authenticated (before impersonation, so the event's user is
/// the one who authenticated): the policy gives the request's level and omitted stages; an audited request gets its
/// <see cref="AuditContext"/> and its RequestReceived event, and a long-running one (watch, exec, log, ...) a
/// ResponseStarted event when its response starts. A request whose authentication failed gets one ResponseStarted
/// event with no user (the failed-authentication audit).
/// </summary>
internal sealed partial class AuditFilter(PolicyRuleEvaluator policy, IAuditBackend backend, TimeProvider time) : IAsyncDisposable
{
    private const int MaxUserAgentLength = 1024;

    /// <summary>The backend events go to.</summary>
    public IAuditBackend Backend => backend;

    /// <summary>
    /// The filter of <paramref name="options"/>: the policy read and checked (an <see cref="InvalidDataException"/> with
    /// Kubernetes' message when it is wrong) and the log file's backend; null when auditing is off.
    /// </summary>
    public static AuditFilter? Create(AuditOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        if (options.Validate().ToList() is { Count: > 0 } errors)
        {
            throw new InvalidDataException(string.Join(", ", errors));
        }

        if (string.IsNullOrEmpty(options.PolicyFile))
        {
            if (!string.IsNullOrEmpty(options.LogPath))
            {
                ILogger logger = loggers.CreateLogger<AuditFilter>();
                LogNoPolicy(logger);
            }

            return null;
        }

        Policy policy = PolicyReader.Load(options.PolicyFile);
        if (string.IsNullOrEmpty(options.LogPath))
        {
            return null;
        }

        IAuditLogFile file;
        if (options.LogPath == "-")
        {
            file = new StandardOutputLogFile();
        }
        else
        {
            var rotating = new RotatingFile(options.LogPath, (options.MaxSize == 0 ? 100L : options.MaxSize) * 1024 * 1024, options.MaxBackup, options.MaxAge, time);
            try
            {
                rotating.EnsureLogFile();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"--audit-log-path {options.LogPath}: {e.Message}", e);
            }

            file = rotating;
        }

        return new AuditFilter(new PolicyRuleEvaluator(policy), new BufferedLogBackend(file, loggers.CreateLogger<BufferedLogBackend>()), time);
    }

    /// <summary>Starts the audit of an authenticated request; null when the policy does not audit it.</summary>
    public AuditContext? Begin(HttpContext context, RequestInfo info, UserInfo user, bool longRunning)
    {
        AuditAttributes attributes = AuditAttributes.From(info, user);
        RequestAuditConfig config = policy.Evaluate(attributes);
        if (config.Level == AuditLevel.None)
        {
            return null;
        }

        var audit = new AuditContext(context, NewEvent(context, attributes, config.Level), config, backend, time);
        context.Features.Set(audit);
        audit.Emit(AuditStage.RequestReceived);
        if (longRunning)
        {
            context.Response.OnStarting(() =>
            {
                audit.ResponseStarted(context.Response.StatusCode);
                return Task.CompletedTask;
            });
        }

        return audit;
    }

    /// <summary>The event of a request refused as unauthenticated (its 401), if the policy audits it.</summary>
    public void FailedAuthentication(HttpContext context, RequestInfo info)
    {
        AuditAttributes attributes = AuditAttributes.From(info, null);
        RequestAuditConfig config = policy.Evaluate(attributes);
        if (config.Level == AuditLevel.None)
        {
            return;
        }

        AuditEvent ev = NewEvent(context, attributes, config.Level);
        ev.ResponseStatus = new V1Status { Message = AuthenticationMethods(context) };
        new AuditContext(context, ev, config, backend, time).ResponseStarted(StatusCodes.Status401Unauthorized);
    }

    public ValueTask DisposeAsync() => backend.DisposeAsync();

    private AuditEvent NewEvent(HttpContext context, AuditAttributes attributes, AuditLevel level)
    {
        string userAgent = context.Request.Headers.UserAgent.ToString();
        return new AuditEvent
        {
            Level = level,
            AuditId = AuditId.Of(context),
            RequestUri = context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : context.Request.Path + context.Request.QueryString,
            Verb = attributes.Verb,
            User = attributes.User,
            SourceIps = SourceIps.From(context),
            UserAgent = userAgent.Length > MaxUserAgentLength ? userAgent[..MaxUserAgentLength] + "...TRUNCATED" : userAgent,
            ObjectRef = !attributes.IsResourceRequest ? null : new AuditObjectReference
            {
                Resource = attributes.Resource,
                Namespace = attributes.Namespace,
                Name = attributes.Name,
                Subresource = attributes.Subresource,
                ApiGroup = attributes.Group,
                ApiVersion = attributes.Version,
            },
            RequestReceivedTimestamp = time.GetUtcNow(),
        };
    }

    /// <summary>What a refused request tried (k8s.io/apiserver's getAuthMethods), for its event's status message.</summary>
    private static string AuthenticationMethods(HttpContext context)
    {
        var methods = new List<string>();
        string authorization = context.Request.Headers.Authorization.ToString().Trim();
        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            methods.Add("basic");
        }

        string[] parts = authorization.Split(' ');
        if (parts.Length > 1 && parts[0].Equals("bearer", StringComparison.OrdinalIgnoreCase))
        {
            methods.Add("bearer");
        }

        if (context.Request.Query["access_token"].ToString().Trim().Length > 0)
        {
            methods.Add("access_token");
        }

        if (context.Connection.ClientCertificate is not null)
        {
            methods.Add("x509");
        }

        return methods.Count > 0 ? "Authentication failed, attempted: " + string.Join(", ", methods) : "Authentication failed, no credentials provided";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No audit policy file provided, no events will be recorded for the log backend")]
    private static partial void LogNoPolicy(ILogger logger);
}
