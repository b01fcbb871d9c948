namespace Navarch.ApiServer.Storage.Encryption;

/// <summary>One rule of an EncryptionConfiguration: the resources it covers and their providers, the first one writing.</summary>
internal sealed record ResourceConfiguration(IReadOnlyList<string> Resources, IReadOnlyList<ProviderConfiguration> Providers);
