<?php
// Oracle for the composer comparator: Composer\Semver's VersionParser::normalize + normalizeDefaultBranch
// (as Semver::sort) and Comparator::lessThan, plus PHP's version_compare, over a file of hex-encoded pairs.
require '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\Comparator;
use Composer\Semver\VersionParser;

$parser = new VersionParser();
function norm($parser, $s) {
    try {
        return $parser->normalizeDefaultBranch($parser->normalize($s));
    } catch (\Exception $e) {
        return null;
    }
}
$out = array();
foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
    list($a, $b) = array_map('hex2bin', explode(' ', $line));
    $na = norm($parser, $a);
    $nb = norm($parser, $b);
    if ($na === null || $nb === null) {
        $out[] = 'x ' . ($na === null ? 0 : 1) . ' ' . ($nb === null ? 0 : 1);
        continue;
    }
    // same? lessThan(a,b) lessThan(b,a) version_compare normalised-a
    $out[] = ($na === $nb ? 1 : 0) . ' ' . (Comparator::lessThan($na, $nb) ? 1 : 0) . ' '
        . (Comparator::lessThan($nb, $na) ? 1 : 0) . ' ' . version_compare($na, $nb) . ' ' . bin2hex($na);
}
echo implode("\n", $out), "\n";
