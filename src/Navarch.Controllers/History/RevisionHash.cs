using System.Globalization;
using System.Text;

namespace Navarch.Controllers.History;

/// <summary>
/// The name suffix of a ControllerRevision, as Kubernetes computes it: FNV-32a over the revision's data (plus the
/// collision count, little-endian, when there is one), its decimal digits rendered in the safe-encoding alphabet
/// that avoids vowels and look-alike characters.
/// </summary>
public static class RevisionHash
{
    /// <summary>Kubernetes' <c>rand.SafeEncodeString</c> alphabet.</summary>
    public const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>The hash of <paramref name="data"/> probed with <paramref name="collisionCount"/>.</summary>
    public static string Compute(string data, int? collisionCount)
    {
        ArgumentNullException.ThrowIfNull(data);
        uint hash = 2166136261;
        foreach (byte b in Encoding.UTF8.GetBytes(data))
        {
            hash = (hash ^ b) * 16777619;
        }

        if (collisionCount is int probe)
        {
            uint value = unchecked((uint)probe);
            for (int shift = 0; shift < 32; shift += 8)
            {
                hash = (hash ^ (byte)(value >> shift)) * 16777619;
            }
        }

        string digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new StringBuilder(digits.Length);
        foreach (char c in digits)
        {
            encoded.Append(Alphabet[c % Alphabet.Length]);
        }

        return encoded.ToString();
    }
}
