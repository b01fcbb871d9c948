namespace Navarch.E2E.Tests;

/// <summary>The real kubectl against `navarch server --disable-agent`.</summary>
[Trait("Category", "Integration")]
public sealed class KubectlTests(NavarchServer server) : KubectlBehaviour(server), IClassFixture<NavarchServer>;
