using k8s.Models;

namespace Navarch.Api.Certificates;

/// <summary>The conditions of a CertificateSigningRequest's status (Approved, Denied, Failed) and what they add up to.</summary>
public static class CsrConditions
{
    /// <summary>The request may be issued.</summary>
    public const string Approved = "Approved";

    /// <summary>The request may not be issued.</summary>
    public const string Denied = "Denied";

    /// <summary>The signer could not issue it.</summary>
    public const string Failed = "Failed";

    /// <summary>True when a condition of <paramref name="type"/> is True.</summary>
    public static bool Has(V1CertificateSigningRequest csr, string type) =>
        csr?.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True") == true;

    /// <summary>True when a certificate was issued.</summary>
    public static bool Issued(V1CertificateSigningRequest csr) => csr?.Status?.Certificate is { Length: > 0 };

    /// <summary>kubectl's CONDITION column: Denied, Approved or Pending, then ,Failed and ,Issued.</summary>
    public static string Summary(V1CertificateSigningRequest csr)
    {
        bool approved = false, denied = false, failed = false;
        foreach (V1CertificateSigningRequestCondition c in csr?.Status?.Conditions ?? [])
        {
            approved |= c.Type == Approved;
            denied |= c.Type == Denied;
            failed |= c.Type == Failed;
        }

        string status = denied ? "Denied" : approved ? "Approved" : "Pending";
        if (failed)
        {
            status += ",Failed";
        }

        return Issued(csr!) ? status + ",Issued" : status;
    }
}
