# Oracle for the gem comparator: Gem::Version over a file of hex-encoded pairs.
require 'rubygems'

def parse(s)
  Gem::Version.correct?(s) ? Gem::Version.new(s) : nil
end

out = File.readlines(ARGV[0]).map do |line|
  a, b = line.chomp.split(/ /, -1).map { |x| [x].pack('H*').force_encoding('UTF-8') }
  va = parse(a)
  vb = parse(b)
  if va.nil? || vb.nil?
    "x #{va.nil? ? 0 : 1} #{vb.nil? ? 0 : 1}"
  else
    "#{va <=> vb} 1 1"
  end
end
$stdout.write(out.join("\n") + "\n")
