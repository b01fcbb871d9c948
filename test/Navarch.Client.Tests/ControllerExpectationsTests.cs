using Microsoft.Extensions.Time.Testing;
using Navarch.Client.Controllers;

namespace Navarch.Client.Tests;

[Trait("Category", "Unit")]
public sealed class ControllerExpectationsTests
{
    [Fact]
    public void Expectations_hold_until_observed_lowered_or_expired()
    {
        var time = new FakeTimeProvider();
        var expectations = new ControllerExpectations(time);
        Assert.True(expectations.SatisfiedExpectations("default/rs"));

        expectations.ExpectCreations("default/rs", 3);
        Assert.False(expectations.SatisfiedExpectations("default/rs"));
        expectations.CreationObserved("default/rs");
        expectations.CreationObserved("default/rs");
        Assert.False(expectations.SatisfiedExpectations("default/rs"));
        expectations.Lower("default/rs", 1, 0);
        Assert.True(expectations.SatisfiedExpectations("default/rs"));

        expectations.ExpectDeletions("default/rs", 1);
        Assert.False(expectations.SatisfiedExpectations("default/rs"));
        time.Advance(ControllerExpectations.Timeout + TimeSpan.FromSeconds(1));
        Assert.True(expectations.SatisfiedExpectations("default/rs"));

        expectations.ExpectDeletions("default/rs", 1);
        expectations.Delete("default/rs");
        Assert.True(expectations.SatisfiedExpectations("default/rs"));
    }
}
