using Navarch.ApiServer.Http;

namespace Navarch.ApiServer.Tests.Http;

/// <summary>When a watch that allows bookmarks gets one: the cacher's nextBookmarkTime (every minute, and 2 s before the deadline).</summary>
[Trait("Category", "Unit")]
public sealed class WatchBookmarkTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(4, 2.0)]      // a short watch (the official clients' timeoutSeconds): 2 s before it ends
    [InlineData(30, 28.0)]
    [InlineData(1800, 60.0)]  // a long one: every minute
    public void The_next_bookmark_comes_every_minute_or_two_seconds_before_the_deadline(int timeoutSeconds, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), WatchHandler.NextBookmark(Now, Now.AddSeconds(timeoutSeconds)));

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    [InlineData(0)]
    public void A_watch_within_two_seconds_of_its_deadline_gets_no_more_bookmarks(int secondsLeft) =>
        Assert.Null(WatchHandler.NextBookmark(Now, Now.AddSeconds(secondsLeft)));
}
