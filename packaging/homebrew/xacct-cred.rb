# Homebrew formula template: the release workflow fills in @VERSION@, @BASE_URL@ and the
# @SHA256_…@ values from SHA256SUMS, then it goes into a tap (brew install OWNER/tap/xacct-cred).
class XacctCred < Formula
  desc "Fast, cached, file-locked AWS cross-account AssumeRole for credential_process and shells"
  homepage "@HOMEPAGE@"
  version "@VERSION@"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    url "@BASE_URL@/xacct-cred-@VERSION@-universal-apple-darwin.tar.gz"
    sha256 "@SHA256_UNIVERSAL_APPLE_DARWIN@"
  end
  on_linux do
    on_intel do
      url "@BASE_URL@/xacct-cred-@VERSION@-x86_64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256_X86_64_UNKNOWN_LINUX_MUSL@"
    end
    on_arm do
      url "@BASE_URL@/xacct-cred-@VERSION@-aarch64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256_AARCH64_UNKNOWN_LINUX_MUSL@"
    end
  end

  def install
    bin.install "xacct-cred"
    man1.install "share/xacct-cred.1.gz"
    bash_completion.install "share/completions/xacct-cred.bash" => "xacct-cred"
    zsh_completion.install "share/completions/_xacct-cred"
    fish_completion.install "share/completions/xacct-cred.fish"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/xacct-cred --version")
    assert_match "no role to assume", shell_output("#{bin}/xacct-cred 2>&1", 2)
  end
end
