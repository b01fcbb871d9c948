using System.Globalization;
using System.Numerics;

namespace Navarch.Api.Quantities;

/// <summary>
/// A resource quantity (k8s.io/apimachinery resource.Quantity) held as a signed number of nano-units, parsed in time
/// linear in the text and with bounded memory whatever the text says (<c>1e999999999</c> costs what <c>1</c> costs).
/// The grammar, suffixes, rounding up to the nano-unit, the binary cap and the canonical form are Kubernetes'
/// (quantity.go, suffix.go). Values are limited to 2^63-1 in magnitude: a larger binary value is capped, as
/// Kubernetes caps it; a larger decimal value is <see cref="QuantityError.OutOfRange"/> unless the caller asks for
/// the cap too (reading what is already stored).
/// </summary>
public readonly struct Quantity : IEquatable<Quantity>, IComparable<Quantity>
{
    /// <summary>The regular expression Kubernetes quotes in its format error.</summary>
    public const string Pattern = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

    private const string SuffixChars = "eEinumkKMGTP";

    private static readonly Int128 NanosPerUnit = 1_000_000_000;

    private static readonly Int128 MaxNanos = (Int128)long.MaxValue * 1_000_000_000;

    private static readonly BigInteger TenPow21 = BigInteger.Pow(10, 21);

    private static readonly BigInteger TenPow30 = BigInteger.Pow(10, 30);

    private readonly string? _text;

    private Quantity(Int128 nanos, QuantityFormat format, string? text)
    {
        Nanos = nanos;
        Format = format;
        _text = text;
    }

    /// <summary>The largest magnitude a quantity may have, in units (2^63-1).</summary>
    public static long MaxValue => long.MaxValue;

    /// <summary>Zero.</summary>
    public static Quantity Zero => new(0, QuantityFormat.DecimalSI, "0");

    /// <summary>The value in nano-units (10^-9), exact.</summary>
    public Int128 Nanos { get; }

    /// <summary>The format it is written in.</summary>
    public QuantityFormat Format { get; }

    /// <summary>-1, 0 or 1.</summary>
    public int Sign => Nanos > 0 ? 1 : Nanos < 0 ? -1 : 0;

    /// <summary>Whether it is zero.</summary>
    public bool IsZero => Nanos == 0;

    /// <summary>The value rounded up (away from zero) to a whole unit (Value()).</summary>
    public long Value => Scaled(NanosPerUnit);

    /// <summary>The value in thousandths, rounded up (MilliValue()); saturates at the bounds of a long instead of overflowing.</summary>
    public long MilliValue => Scaled(1_000_000);

    /// <summary>A quantity of whole units.</summary>
    public static Quantity FromUnits(long value, QuantityFormat format = QuantityFormat.DecimalSI) => new((Int128)value * NanosPerUnit, format, null);

    /// <summary>A quantity of thousandths.</summary>
    public static Quantity FromMilli(long milli) => new((Int128)milli * 1_000_000, QuantityFormat.DecimalSI, null);

    /// <summary>A quantity of nano-units, capped at 2^63-1 units in magnitude.</summary>
    public static Quantity FromNanos(Int128 nanos, QuantityFormat format) => new(Int128.Clamp(nanos, -MaxNanos, MaxNanos), format, null);

    /// <summary>Kubernetes' message for a parse error.</summary>
    public static string Describe(QuantityError error) => error switch
    {
        QuantityError.FormatWrong => $"quantities must match the regular expression '{Pattern}'",
        QuantityError.Numeric => "unable to parse numeric part of quantity",
        QuantityError.Suffix => "unable to parse quantity's suffix",
        QuantityError.OutOfRange => $"quantities must be at most {long.MaxValue} (2^63-1) in magnitude",
        _ => "",
    };

    /// <summary>Parses <paramref name="text"/> (ParseQuantity: no surrounding spaces); throws <see cref="QuantityFormatException"/> with Kubernetes' message.</summary>
    public static Quantity Parse(string text) =>
        TryParse(text, capOutOfRange: false, out Quantity q, out QuantityError error) ? q : throw new QuantityFormatException(error);

    /// <summary>
    /// Parses <paramref name="text"/> as ParseQuantity does, in time linear in its length. A decimal value beyond
    /// 2^63-1 in magnitude is capped when <paramref name="capOutOfRange"/>, else an error.
    /// </summary>
    public static bool TryParse(string? text, bool capOutOfRange, out Quantity quantity, out QuantityError error)
    {
        quantity = default;
        if (string.IsNullOrEmpty(text))
        {
            error = QuantityError.FormatWrong;
            return false;
        }

        if (text == "0")
        {
            quantity = Zero;
            error = QuantityError.None;
            return true;
        }

        if (!Scan(text, out bool positive, out string num, out string denom, out string suffix))
        {
            error = QuantityError.FormatWrong;
            return false;
        }

        if (!Interpret(suffix, out int numericBase, out int exponent, out QuantityFormat format))
        {
            error = QuantityError.Suffix;
            return false;
        }

        (Int128 magnitude, bool outOfRange) = numericBase == 10 ? Decimal(num, denom, exponent) : Binary(num, denom, exponent);
        if (outOfRange)
        {
            if (numericBase == 10 && !capOutOfRange)
            {
                error = QuantityError.OutOfRange;
                return false;
            }

            magnitude = MaxNanos;
        }

        if (format == QuantityFormat.BinarySI && magnitude > 0 && magnitude < NanosPerUnit)
        {
            format = QuantityFormat.DecimalSI;
        }

        string? reused = !outOfRange && text.Length <= 64 && !text.Contains('.', StringComparison.Ordinal) && text[0] != '+' && KeepsText(num, denom, numericBase, exponent, format) ? text : null;
        quantity = new Quantity(positive ? magnitude : -magnitude, format, reused);
        error = QuantityError.None;
        return true;
    }

    /// <summary>
    /// The form Kubernetes writes: the text as sent when it was already canonical (Kubernetes keeps it then), else
    /// <see cref="Canonical"/>.
    /// </summary>
    public override string ToString() => _text ?? Canonical;

    /// <summary>The canonical form (CanonicalizeBytes): no precision lost, no fraction, the largest suffix.</summary>
    public string Canonical => CanonicalOf(Nanos, Format);

    /// <inheritdoc />
    public bool Equals(Quantity other) => Nanos == other.Nanos;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Quantity q && Equals(q);

    /// <inheritdoc />
    public override int GetHashCode() => Nanos.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(Quantity other) => Nanos.CompareTo(other.Nanos);

    /// <summary>Equality of values.</summary>
    public static bool operator ==(Quantity left, Quantity right) => left.Equals(right);

    /// <summary>Inequality of values.</summary>
    public static bool operator !=(Quantity left, Quantity right) => !left.Equals(right);

    /// <summary>Order of values.</summary>
    public static bool operator <(Quantity left, Quantity right) => left.CompareTo(right) < 0;

    /// <summary>Order of values.</summary>
    public static bool operator >(Quantity left, Quantity right) => left.CompareTo(right) > 0;

    /// <summary>Order of values.</summary>
    public static bool operator <=(Quantity left, Quantity right) => left.CompareTo(right) <= 0;

    /// <summary>Order of values.</summary>
    public static bool operator >=(Quantity left, Quantity right) => left.CompareTo(right) >= 0;

    /// <summary>The sum, capped at 2^63-1 units in magnitude.</summary>
    public Quantity Add(Quantity other) => FromNanos(Nanos + other.Nanos, IsZero ? other.Format : Format);

    private long Scaled(Int128 per)
    {
        Int128 quotient = Int128.DivRem(Nanos, per).Quotient;
        if (Nanos % per != 0)
        {
            quotient += Nanos > 0 ? 1 : -1;
        }

        return (long)Int128.Clamp(quotient, long.MinValue, long.MaxValue);
    }

    /// <summary>parseQuantityString: sign, number, fraction and suffix, or false when the text is not in the grammar.</summary>
    private static bool Scan(string s, out bool positive, out string num, out string denom, out string suffix)
    {
        positive = true;
        num = "0";
        denom = "";
        suffix = "";
        int pos = 0, end = s.Length;
        if (s[0] is '-' or '+')
        {
            positive = s[0] == '+';
            pos++;
        }

        while (pos < end && s[pos] == '0')
        {
            pos++;
        }

        if (pos >= end)
        {
            return true;
        }

        int i = pos;
        while (i < end && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i > pos)
        {
            num = s[pos..i];
        }

        pos = i;
        if (pos >= end)
        {
            return true;
        }

        if (s[pos] == '.')
        {
            pos++;
            i = pos;
            while (i < end && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            denom = s[pos..i];
            pos = i;
            if (pos >= end)
            {
                return true;
            }
        }

        int suffixStart = pos;
        while (pos < end && SuffixChars.Contains(s[pos], StringComparison.Ordinal))
        {
            pos++;
        }

        if (pos < end && s[pos] is '-' or '+')
        {
            pos++;
        }

        while (pos < end && char.IsAsciiDigit(s[pos]))
        {
            pos++;
        }

        suffix = s[suffixStart..];
        return pos >= end;
    }

    /// <summary>
    /// quantitySuffixer.interpret: one of the suffix tables, or <c>e</c>/<c>E</c> and an exponent within ±(2^31-1)
    /// (Kubernetes refuses a wider one rather than truncating it to an unrelated value).
    /// </summary>
    private static bool Interpret(string suffix, out int numericBase, out int exponent, out QuantityFormat format)
    {
        if (Lookup(suffix, out numericBase, out exponent, out format))
        {
            return true;
        }

        if (suffix.Length > 1 && suffix[0] is 'e' or 'E'
            && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)
            && parsed is >= -int.MaxValue and <= int.MaxValue)
        {
            (numericBase, exponent, format) = (10, (int)parsed, QuantityFormat.DecimalExponent);
            return true;
        }

        return false;
    }

    private static bool Lookup(string suffix, out int numericBase, out int exponent, out QuantityFormat format)
    {
        (numericBase, exponent, format) = suffix switch
        {
            "" => (10, 0, QuantityFormat.DecimalSI),
            "n" => (10, -9, QuantityFormat.DecimalSI),
            "u" => (10, -6, QuantityFormat.DecimalSI),
            "m" => (10, -3, QuantityFormat.DecimalSI),
            "k" => (10, 3, QuantityFormat.DecimalSI),
            "M" => (10, 6, QuantityFormat.DecimalSI),
            "G" => (10, 9, QuantityFormat.DecimalSI),
            "T" => (10, 12, QuantityFormat.DecimalSI),
            "P" => (10, 15, QuantityFormat.DecimalSI),
            "E" => (10, 18, QuantityFormat.DecimalSI),
            "Ki" => (2, 10, QuantityFormat.BinarySI),
            "Mi" => (2, 20, QuantityFormat.BinarySI),
            "Gi" => (2, 30, QuantityFormat.BinarySI),
            "Ti" => (2, 40, QuantityFormat.BinarySI),
            "Pi" => (2, 50, QuantityFormat.BinarySI),
            "Ei" => (2, 60, QuantityFormat.BinarySI),
            _ => (0, 0, QuantityFormat.DecimalExponent),
        };
        return numericBase != 0;
    }

    /// <summary>
    /// |num.denom| × 10^exponent in nano-units rounded up, touching at most 29 digits: a value with more digits before
    /// the nano position is out of range without being computed.
    /// </summary>
    private static (Int128 Magnitude, bool OutOfRange) Decimal(string num, string denom, int exponent)
    {
        string digits = num == "0" ? denom : num + denom;
        int first = 0;
        while (first < digits.Length && digits[first] == '0')
        {
            first++;
        }

        if (first == digits.Length)
        {
            return (0, false);
        }

        ReadOnlySpan<char> significant = digits.AsSpan(first);
        long shift = (long)exponent - denom.Length + 9;
        if (shift >= 0)
        {
            if (significant.Length + shift >= 29)
            {
                return (0, true);
            }

            Int128 value = Int128.Parse(significant, CultureInfo.InvariantCulture) * Int128Pow10((int)shift);
            return value > MaxNanos ? (0, true) : (value, false);
        }

        long fraction = -shift;
        if (fraction >= significant.Length)
        {
            return (1, false);
        }

        ReadOnlySpan<char> whole = significant[..(int)(significant.Length - fraction)];
        if (whole.Length >= 29)
        {
            return (0, true);
        }

        Int128 rounded = Int128.Parse(whole, CultureInfo.InvariantCulture) + (significant[whole.Length..].ContainsAnyExcept('0') ? 1 : 0);
        return rounded > MaxNanos ? (0, true) : (rounded, false);
    }

    /// <summary>|num.denom| × 2^exponent in nano-units rounded up; past 2^63-1 it is out of range (and then capped).</summary>
    private static (Int128 Magnitude, bool OutOfRange) Binary(string num, string denom, int exponent)
    {
        if (num.Length > 20)
        {
            return (0, true);
        }

        string fraction = denom.Length > 30 ? denom[..30] : denom.PadRight(30, '0');
        bool beyond = denom.Length > 30 && denom.AsSpan(30).ContainsAnyExcept('0');
        BigInteger exact = ((BigInteger.Parse(num, CultureInfo.InvariantCulture) * TenPow30) + BigInteger.Parse(fraction, CultureInfo.InvariantCulture)) << exponent;
        BigInteger nanos = BigInteger.DivRem(exact, TenPow21, out BigInteger remainder);
        if (!remainder.IsZero || beyond)
        {
            nanos += 1;
        }

        return nanos > (BigInteger)MaxNanos ? (0, true) : ((Int128)nanos, false);
    }

    /// <summary>
    /// Whether Kubernetes keeps the text as it was sent (its fast path for a number already in canonical form). Navarch
    /// keeps it only without a '.' or a '+' as well (Kubernetes would keep <c>1.</c>), so that every client can read it back.
    /// </summary>
    private static bool KeepsText(string num, string denom, int numericBase, int exponent, QuantityFormat format)
    {
        if (numericBase == 10)
        {
            int scale = exponent - denom.Length;
            string shifted = num + denom;
            return 18 - shifted.Length >= 0 && scale >= -9 && scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0';
        }

        if (format != QuantityFormat.BinarySI || denom.Length > 0 || 15 - num.Length - (int)(exponent * 3f / 10) - 1 < 0)
        {
            return false;
        }

        return exponent % 10 == 0 && (long.Parse(num, CultureInfo.InvariantCulture) & 0x07) != 0;
    }

    private static string CanonicalOf(Int128 nanos, QuantityFormat format)
    {
        if (nanos == 0)
        {
            return "0";
        }

        if (format == QuantityFormat.BinarySI && (Int128.Abs(nanos) < 1024 * NanosPerUnit || nanos % NanosPerUnit != 0))
        {
            format = QuantityFormat.DecimalSI;
        }

        if (format == QuantityFormat.BinarySI)
        {
            Int128 units = nanos / NanosPerUnit;
            int power = 0;
            while (units % 1024 == 0 && Int128.Abs(units) >= 1024)
            {
                units /= 1024;
                power++;
            }

            return units.ToString(CultureInfo.InvariantCulture) + (power == 0 ? "" : "KMGTPE"[power - 1] + "i");
        }

        Int128 mantissa = nanos;
        int exponent = -9;
        while (mantissa % 10 == 0)
        {
            mantissa /= 10;
            exponent++;
        }

        while (exponent % 3 != 0)
        {
            mantissa *= 10;
            exponent--;
        }

        string number = mantissa.ToString(CultureInfo.InvariantCulture);
        if (format == QuantityFormat.DecimalExponent)
        {
            return exponent == 0 ? number : number + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }

        return number + exponent switch
        {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            0 => "",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            _ => "E",
        };
    }

    private static Int128 Int128Pow10(int power)
    {
        Int128 result = 1;
        for (int i = 0; i < power; i++)
        {
            result *= 10;
        }

        return result;
    }
}
