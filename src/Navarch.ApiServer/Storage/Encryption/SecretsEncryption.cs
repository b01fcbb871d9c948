using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Navarch.Api;
using Navarch.Api.Resources;
using Navarch.Storage;

namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>
/// Encryption at rest of the server (kube-apiserver's <c>--encryption-provider-config</c>, k3s's
/// <c>--secrets-encryption</c> and its <c>secrets-encrypt</c> commands): opens the configuration, wraps the store in an
/// <see cref="EncryptingStore"/>, and carries out the commands. With <c>--secrets-encryption</c> the configuration is
/// k3s's — Secrets under an aescbc key, then identity — generated once into <c>server/cred/encryption-config.json</c>
/// (0600; keys never go into the database); the commands change that file and apply it at once, as kube-apiserver's
/// automatic reload does: <c>prepare</c> adds a key that only decrypts, <c>rotate</c> makes it the one that encrypts,
/// <c>reencrypt</c> rewrites every Secret with it (then drops the other keys unless told to skip), <c>rotate-keys</c>
/// does all three, <c>enable</c>/<c>disable</c> put aescbc or identity first. A configuration of the user's own is
/// only read; <c>reencrypt</c> works with it too. The stage is kept in <c>server/cred/encryption-state.json</c> and an
/// interrupted reencryption resumes at the next start.
/// </summary>
internal sealed partial class SecretsEncryption : IAsyncDisposable
{
    /// <summary>Stages, named as k3s names them.</summary>
    public const string Start = "start", Prepare = "prepare", Rotate = "rotate", ReencryptActive = "reencrypt_active", ReencryptFinished = "reencrypt_finished";

    /// <summary>The key name k3s gives the first generated key.</summary>
    public const string FirstKeyName = "aescbckey";

    private static readonly JsonSerializerOptions StateJson = new() { WriteIndented = true };

    private readonly string? _configPath;
    private readonly bool _managed;
    private readonly string _statePath;
    private readonly string _secretsPrefix;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private State _state;
    private Task _reencryption = Task.CompletedTask;

    private SecretsEncryption(EncryptingStore store, string? configPath, bool managed, string statePath, string secretsPrefix, TimeProvider time, ILogger logger)
    {
        Store = store;
        _configPath = configPath;
        _managed = managed;
        _statePath = statePath;
        _secretsPrefix = secretsPrefix;
        _time = time;
        _logger = logger;
        _state = File.Exists(statePath) ? JsonSerializer.Deserialize<State>(File.ReadAllText(statePath)) ?? new State() : new State();
    }

    /// <summary>The store the API server uses: the given one with encryption applied.</summary>
    public EncryptingStore Store { get; }

    /// <summary>
    /// Runs after every change the command makes (the configuration rewritten at a stage, and again when a re-encryption
    /// drops the old keys), while no other change can run, so what it reads of the configuration is whole.
    /// </summary>
    public Func<CancellationToken, Task>? ConfigChanged { get; set; }

    /// <summary>Where <c>--secrets-encryption</c> keeps its configuration.</summary>
    public static string ManagedConfigPath(string dataDir) => Path.Combine(dataDir, "server", "cred", "encryption-config.json");

    /// <summary>
    /// Opens the configuration the options name (generating k3s's on the first start with <c>--secrets-encryption</c>)
    /// and resumes an interrupted reencryption. A configuration that is invalid, or both flags at once, is an
    /// <see cref="InvalidDataException"/>.
    /// </summary>
    public static SecretsEncryption Open(IStore store, ResourceCatalog catalog, ApiServerOptions options, ILoggerFactory loggers)
    {
        if (options.SecretsEncryption && options.EncryptionProviderConfig is not null)
        {
            throw new InvalidDataException("--secrets-encryption and --encryption-provider-config cannot be used together: --secrets-encryption generates and manages its own configuration");
        }

        string credDir = Path.Combine(options.DataDir, "server", "cred");
        string? path = options.EncryptionProviderConfig;
        if (options.SecretsEncryption)
        {
            path = ManagedConfigPath(options.DataDir);
            if (!File.Exists(path))
            {
                PrivateFiles.CreateDirectory(credDir);
                var generated = new EncryptionConfiguration([new ResourceConfiguration(["secrets"], [new ProviderConfiguration(ProviderConfiguration.AesCbc, [NewKey(FirstKeyName)]), new ProviderConfiguration(ProviderConfiguration.Identity, [])])]);
                PrivateFiles.Write(path, generated.ToJson());
            }
        }

        ResourceTransformers transformers = path is null ? ResourceTransformers.None : ResourceTransformers.Create(EncryptionConfiguration.Load(path));
        ResourceDefinition secrets = catalog.Find("", "v1", "secrets") ?? throw new InvalidOperationException("the catalog has no secrets");
        ILogger logger = loggers.CreateLogger<SecretsEncryption>();
        var encryption = new SecretsEncryption(new EncryptingStore(store, catalog, transformers, logger), path, options.SecretsEncryption, Path.Combine(credDir, "encryption-state.json"), secrets.ListPrefix(null), options.Time, logger);
        if (encryption._state.Stage == ReencryptActive)
        {
            encryption._reencryption = encryption.ReencryptAsync(encryption._state.Skip);
        }

        return encryption;
    }

    /// <summary>The current state, as <c>secrets-encrypt status</c> shows it.</summary>
    public EncryptionStatus Status()
    {
        IReadOnlyList<ProviderConfiguration> providers = Store.Transformers.ProvidersFor(new GroupResource("", "secrets"));
        var keys = providers.Where(p => p.Type != ProviderConfiguration.Identity)
            .SelectMany((p, i) => p.Keys.Select((k, j) => new EncryptionKeyStatus(i == 0 && j == 0 && providers[0] == p, p.DisplayType, k.Name)))
            .ToList();
        string hash = _configPath is not null && File.Exists(_configPath) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_configPath))) : "";
        State state = _state;
        return new EncryptionStatus(providers.Count > 0 && providers[0].Type != ProviderConfiguration.Identity, state.Stage, _managed, hash, keys, state.Reencrypted, state.Error);
    }

    /// <summary>
    /// Carries out a command; one the configuration or the stage does not allow is a <see cref="StatusException"/>
    /// (400 BadRequest, or 409 Conflict while a reencryption runs). Reencryption goes on in the background; the
    /// status says when it has finished.
    /// </summary>
    public async Task<EncryptionStatus> ApplyAsync(EncryptionRequest request, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_state.Stage == ReencryptActive)
            {
                throw new StatusException(new k8s.Models.V1Status { Kind = "Status", ApiVersion = "v1", Status = "Failure", Code = 409, Reason = "Conflict", Message = "a reencryption of secrets is running; wait until secrets-encrypt status shows reencrypt_finished" });
            }

            if (request.Stage != "reencrypt" && !_managed)
            {
                throw ApiErrors.BadRequest(_configPath is null
                    ? "secrets encryption is not enabled: start the server with --secrets-encryption"
                    : "the encryption configuration is the user's own (--encryption-provider-config): edit it and restart the server; only reencrypt is available");
            }

            switch (request.Stage)
            {
                case "enable":
                case "disable":
                    Reorder(request.Stage == "enable" ? ProviderConfiguration.AesCbc : ProviderConfiguration.Identity);
                    break;
                case "prepare":
                    RequireStage("prepare", Start, ReencryptFinished);
                    ChangeKeys(keys => [.. keys, NewKey(RotatedKeyName())]);
                    Save(_state with { Stage = Prepare, Error = null });
                    break;
                case "rotate":
                    RequireStage("rotate", Prepare);
                    ChangeKeys(keys => [keys[^1], .. keys.Take(keys.Count - 1)]);
                    Save(_state with { Stage = Rotate, Error = null });
                    break;
                case "reencrypt":
                    if (!request.Force && _managed)
                    {
                        RequireStage("reencrypt", Rotate);
                    }

                    BeginReencrypt(request.Skip || !_managed);
                    break;
                case "rotate-keys":
                    RequireStage("rotate-keys", Start, ReencryptFinished);
                    ChangeKeys(keys => [NewKey(RotatedKeyName()), .. keys]);
                    BeginReencrypt(skip: false);
                    break;
                default:
                    throw ApiErrors.BadRequest($"unknown secrets-encrypt command \"{request.Stage}\": expected enable, disable, prepare, rotate, reencrypt or rotate-keys");
            }

            if (ConfigChanged is { } changed)
            {
                await changed(cancellationToken);
            }

            return Status();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _reencryption;
        _stopping.Dispose();
        _changes.Dispose();
    }

    private void RequireStage(string command, params string[] allowed)
    {
        if (!allowed.Contains(_state.Stage))
        {
            throw ApiErrors.BadRequest($"{command} is not allowed in stage {_state.Stage}: it follows {string.Join(" or ", allowed)}");
        }
    }

    private void BeginReencrypt(bool skip)
    {
        Save(_state with { Stage = ReencryptActive, Skip = skip, Reencrypted = 0, Error = null });
        _reencryption = ReencryptAsync(skip);
    }

    /// <summary>Rewrites every Secret with the key that encrypts now, then (unless <paramref name="skip"/>) drops the others.</summary>
    private async Task ReencryptAsync(bool skip)
    {
        await Task.Yield();
        try
        {
            int rewritten = await Store.ReencryptAsync(_secretsPrefix, _stopping.Token);
            await _changes.WaitAsync(_stopping.Token);
            try
            {
                if (!skip)
                {
                    ChangeKeys(keys => [keys[0]]);
                    if (ConfigChanged is { } changed)
                    {
                        // Before the stage says finished: whoever waits for it finds the change stored.
                        await changed(_stopping.Token);
                    }
                }

                Save(_state with { Stage = ReencryptFinished, Reencrypted = rewritten, Error = null });
            }
            finally
            {
                _changes.Release();
            }

            LogReencrypted(_logger, rewritten);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopped: the stage stays reencrypt_active and the next start resumes.
        }
        catch (Exception e) when (e is StorageException or IOException or InvalidDataException)
        {
            LogReencryptFailed(_logger, e.Message);
            Save(_state with { Stage = ReencryptFinished, Error = e.Message });
        }
    }

    /// <summary>Moves the provider of <paramref name="type"/> to the front of the Secrets rule (enable: aescbc, disable: identity).</summary>
    private void Reorder(string type) => Change(providers =>
    {
        ProviderConfiguration first = providers.FirstOrDefault(p => p.Type == type) ?? new ProviderConfiguration(type, []);
        return [first, .. providers.Where(p => p != first)];
    });

    /// <summary>Changes the keys of the Secrets rule's aescbc provider.</summary>
    private void ChangeKeys(Func<IReadOnlyList<EncryptionKey>, IReadOnlyList<EncryptionKey>> change) => Change(providers =>
        providers.Select(p => p.Type == ProviderConfiguration.AesCbc ? p with { Keys = change(p.Keys) } : p).ToList());

    /// <summary>Rewrites the managed configuration's Secrets rule and applies it at once.</summary>
    private void Change(Func<IReadOnlyList<ProviderConfiguration>, IReadOnlyList<ProviderConfiguration>> change)
    {
        EncryptionConfiguration current = Store.Transformers.Configuration ?? throw new InvalidOperationException("no configuration");
        var next = new EncryptionConfiguration(current.Resources.Select(r => r.Resources.Contains("secrets") ? r with { Providers = change(r.Providers) } : r).ToList());
        ResourceTransformers transformers = ResourceTransformers.Create(next);
        PrivateFiles.Write(_configPath!, next.ToJson());
        Store.Transformers = transformers;
    }

    private void Save(State state)
    {
        _state = state;
        PrivateFiles.Write(_statePath, JsonSerializer.Serialize(state, StateJson));
    }

    private string RotatedKeyName() => FirstKeyName + "-" + _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static EncryptionKey NewKey(string name) => new(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Reencrypted {Count} secrets with the active key")]
    private static partial void LogReencrypted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reencryption of secrets failed: {Reason}")]
    private static partial void LogReencryptFailed(ILogger logger, string reason);

    private sealed record State(string Stage = Start, bool Skip = false, int Reencrypted = 0, string? Error = null);
}
