namespace Navarch.Client.Certificates;

/// <summary>A CertificateSigningRequest was denied, failed, or not issued in time.</summary>
public sealed class CertificateRequestException(string message) : Exception(message);
