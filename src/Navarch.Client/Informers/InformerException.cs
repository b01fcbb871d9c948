namespace Navarch.Client.Informers;

/// <summary>The API server answered an informer's list or watch with an error.</summary>
public sealed class InformerException(string message) : Exception(message);
