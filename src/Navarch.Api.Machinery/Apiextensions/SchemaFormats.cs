using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Navarch.Api.Apiextensions;

/// <summary>
/// The string formats of kube-openapi's strfmt registry that apiextensions-apiserver accepts in a schema, checked as
/// they check them; any other format (int32, int64, float, double, password, ...) constrains nothing.
/// </summary>
internal static partial class SchemaFormats
{
    public static bool IsValid(string format, string value) => format switch
    {
        "date" => DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "date-time" or "datetime" => DateTimeRegex().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "uuid" => UuidRegex().IsMatch(value),
        "uuid3" => UuidRegex().IsMatch(value) && value[14] == '3',
        "uuid4" => UuidRegex().IsMatch(value) && value[14] == '4' && "89abAB".Contains(value[19], StringComparison.Ordinal),
        "uuid5" => UuidRegex().IsMatch(value) && value[14] == '5' && "89abAB".Contains(value[19], StringComparison.Ordinal),
        "byte" => IsBase64(value),
        "email" => EmailRegex().IsMatch(value),
        "hostname" => value.Length <= 255 && HostnameRegex().IsMatch(value),
        "ipv4" => IPAddress.TryParse(value, out var v4) && v4.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && value.Count(c => c == '.') == 3,
        "ipv6" => IPAddress.TryParse(value, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6,
        "cidr" => IsCidr(value),
        "mac" => MacRegex().IsMatch(value),
        "uri" => Uri.TryCreate(value, UriKind.Absolute, out _),
        "duration" => DurationRegex().IsMatch(value),
        "hexcolor" => HexColorRegex().IsMatch(value),
        "rgbcolor" => RgbColorRegex().IsMatch(value),
        "isbn10" => IsbnRegex().IsMatch(value) && value.Count(char.IsAsciiDigit) + (value.EndsWith('X') ? 1 : 0) == 10,
        "isbn13" => IsbnRegex().IsMatch(value) && value.Count(char.IsAsciiDigit) == 13,
        "isbn" => IsbnRegex().IsMatch(value),
        "ssn" => SsnRegex().IsMatch(value),
        "creditcard" => CreditCardRegex().IsMatch(value),
        _ => true,
    };

    private static bool IsBase64(string value)
    {
        Span<byte> buffer = new byte[((value.Length + 3) / 4) * 3];
        return Convert.TryFromBase64String(value, buffer, out _);
    }

    private static bool IsCidr(string value)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && IPAddress.TryParse(value[..slash], out var ip)
            && int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int bits)
            && bits <= (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex DateTimeRegex();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UuidRegex();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailRegex();

    [GeneratedRegex(@"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial Regex HostnameRegex();

    [GeneratedRegex("^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\\.){2}[0-9A-Fa-f]{4}$")]
    private static partial Regex MacRegex();

    [GeneratedRegex(@"^(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$|^0$")]
    private static partial Regex DurationRegex();

    [GeneratedRegex("^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")]
    private static partial Regex HexColorRegex();

    [GeneratedRegex(@"^rgb\(\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*,\s*\d{1,3}%?\s*\)$")]
    private static partial Regex RgbColorRegex();

    [GeneratedRegex("^[0-9X -]{10,17}$")]
    private static partial Regex IsbnRegex();

    [GeneratedRegex(@"^\d{3}[- ]?\d{2}[- ]?\d{4}$")]
    private static partial Regex SsnRegex();

    [GeneratedRegex(@"^\d{13,19}$")]
    private static partial Regex CreditCardRegex();
}
