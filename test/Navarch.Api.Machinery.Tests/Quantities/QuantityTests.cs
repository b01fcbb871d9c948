using System.Diagnostics;
using System.Text.Json;
using k8s.Models;
using Navarch.Api.Quantities;

namespace Navarch.Api.Machinery.Tests.Quantities;

/// <summary>Quantities parse and print as Kubernetes' resource.Quantity does (cases from quantity_test.go), within 2^63-1, in bounded time.</summary>
[Trait("Category", "Unit")]
public sealed class QuantityTests
{
    public static TheoryData<string, string, QuantityFormat> Canonical => new()
    {
        { "0", "0", QuantityFormat.DecimalSI },
        { "0Ki", "0", QuantityFormat.BinarySI },
        { "1", "1", QuantityFormat.DecimalSI },
        { "1.5", "1500m", QuantityFormat.DecimalSI },
        { "1.5Gi", "1536Mi", QuantityFormat.BinarySI },
        { "1000", "1k", QuantityFormat.DecimalSI },
        { "1024", "1024", QuantityFormat.DecimalSI },
        { "1Ki", "1Ki", QuantityFormat.BinarySI },
        { "1024Ki", "1Mi", QuantityFormat.BinarySI },
        { "100m", "100m", QuantityFormat.DecimalSI },
        { "0.1m", "100u", QuantityFormat.DecimalSI },
        { "1e3", "1e3", QuantityFormat.DecimalExponent },
        { "1.2e3", "1200", QuantityFormat.DecimalExponent },
        { "1.3E+6", "1300e3", QuantityFormat.DecimalExponent },
        { "9E", "9E", QuantityFormat.DecimalSI },
        { "50k", "50k", QuantityFormat.DecimalSI },
        { "100.035k", "100035", QuantityFormat.DecimalSI },
        { "9Ei", "9223372036854775807", QuantityFormat.BinarySI },
        { "9223372036854775807Ki", "9223372036854775807", QuantityFormat.BinarySI },
        { "100.035Ki", "102435840m", QuantityFormat.BinarySI },
        { "0.5Mi", "512Ki", QuantityFormat.BinarySI },
        { "0.000000000001Ki", "2n", QuantityFormat.DecimalSI },
        { "3.001n", "4n", QuantityFormat.DecimalSI },
        { "1.1E-9", "2e-9", QuantityFormat.DecimalExponent },
        { "0.00000012345", "124n", QuantityFormat.DecimalSI },
        { "1e-999999999", "1e-9", QuantityFormat.DecimalExponent },
        { ".001", "1m", QuantityFormat.DecimalSI },
        { "1.", "1", QuantityFormat.DecimalSI },
        { "1.G", "1G", QuantityFormat.DecimalSI },
        { "-1", "-1", QuantityFormat.DecimalSI },
        { "-1000", "-1k", QuantityFormat.DecimalSI },
        { "-1.5Gi", "-1536Mi", QuantityFormat.BinarySI },
        { "9223372036854775807", "9223372036854775807", QuantityFormat.DecimalSI },
    };

    public static TheoryData<string, QuantityError> Invalid => new()
    {
        { "", QuantityError.FormatWrong },
        { "1.1.M", QuantityError.FormatWrong },
        { "1+1.0M", QuantityError.FormatWrong },
        { "0.1mi", QuantityError.Suffix },
        { "0.1am", QuantityError.FormatWrong },
        { "aoeu", QuantityError.FormatWrong },
        { ".5i", QuantityError.Suffix },
        { "-3.01e-", QuantityError.Suffix },
        { "1e4294967297", QuantityError.Suffix },
        { "1e-2147483648", QuantityError.Suffix },
        { " 1", QuantityError.FormatWrong },
        { "1 ", QuantityError.FormatWrong },
        { "1e30", QuantityError.OutOfRange },
        { "1e999999", QuantityError.OutOfRange },
        { "1e999999999", QuantityError.OutOfRange },
        { "1e2147483647", QuantityError.OutOfRange },
        { "9223372036854775808", QuantityError.OutOfRange },
        { "99999999999999999999999999999999", QuantityError.OutOfRange },
        { "-1e19", QuantityError.OutOfRange },
        { "12E", QuantityError.OutOfRange },
    };

    [Theory]
    [MemberData(nameof(Canonical))]
    public void Parses_to_kubernetes_canonical_form(string text, string canonical, QuantityFormat format)
    {
        Assert.True(Quantity.TryParse(text, capOutOfRange: false, out Quantity q, out QuantityError error), error.ToString());
        Assert.Equal(canonical, q.ToString());
        Assert.Equal(format, q.Format);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Refuses_what_kubernetes_refuses_and_values_past_2_63(string text, QuantityError expected)
    {
        Assert.False(Quantity.TryParse(text, capOutOfRange: false, out _, out QuantityError error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Caps_decimal_values_past_2_63_when_asked()
    {
        Assert.True(Quantity.TryParse("1e999999999", capOutOfRange: true, out Quantity q, out _));
        Assert.Equal(long.MaxValue, q.Value);
        Assert.Equal(long.MaxValue, q.MilliValue);
        Assert.True(Quantity.TryParse("-1e30", capOutOfRange: true, out Quantity negative, out _));
        Assert.Equal(long.MinValue + 1, negative.Value);
    }

    [Fact]
    public void Values_round_up_away_from_zero()
    {
        Assert.Equal(2, Quantity.Parse("1001m").Value);
        Assert.Equal(-2, Quantity.Parse("-1001m").Value);
        Assert.Equal(1, Quantity.Parse("1n").MilliValue);
        Assert.Equal(1500, Quantity.Parse("1.5").MilliValue);
        Assert.True(Quantity.Parse("10000T") > Quantity.Parse("100Gi"));
    }

    [Fact]
    public void Huge_texts_parse_in_bounded_time()
    {
        string[] texts =
        [
            "1e999999999", "1" + new string('0', 3_000_000), "0." + new string('0', 3_000_000) + "1", new string('9', 3_000_000) + "Ki",
            "1." + new string('1', 3_000_000) + "Ki", "1e" + new string('9', 1_000_000),
        ];
        var watch = Stopwatch.StartNew();
        foreach (string text in texts)
        {
            Quantity.TryParse(text, capOutOfRange: false, out _, out _);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void The_client_type_round_trips_through_the_bounded_converter()
    {
        var requests = JsonSerializer.Deserialize<Dictionary<string, ResourceQuantity>>("{\"cpu\":\"-1\",\"memory\":1.5e3,\"x\":null,\"y\":\"1.5Gi\"}", KubernetesSerialization.Options)!;
        Assert.Equal("{\"cpu\":\"-1\",\"memory\":\"1500\",\"x\":\"0\",\"y\":\"1536Mi\"}", JsonSerializer.Serialize(requests, KubernetesSerialization.Options));
        Assert.Equal(-1000, requests["cpu"].ToQuantity().MilliValue);
        JsonException e = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Dictionary<string, ResourceQuantity>>("{\"cpu\":\"1e999999999\"}", KubernetesSerialization.Incoming));
        Assert.IsType<QuantityFormatException>(e.InnerException);
        var stored = JsonSerializer.Deserialize<Dictionary<string, ResourceQuantity>>("{\"cpu\":\"1e30\"}", KubernetesSerialization.Options)!;
        Assert.Equal(long.MaxValue, stored["cpu"].ToQuantity().Value);
    }

    [Fact]
    public void Quantities_made_in_code_are_read_through_decimal()
    {
        Assert.Equal(100, new ResourceQuantity("100m").ToQuantity().MilliValue);
        Assert.Equal(long.MaxValue, new ResourceQuantity("1e30").ToQuantity().Value);
    }
}
