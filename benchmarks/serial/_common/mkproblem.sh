#!/usr/bin/env bash
# Scaffold helper used while writing the suite: writes lessonl.toml and copies the shared
# harness into a problem folder. Usage: mkproblem.sh NAME FILE LANG CATEGORY FUNCTION DESCRIPTION
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name=$1 file=$2 lang=$3 category=$4 function=$5 description=$6
dir="$here/../$name"
mkdir -p "$dir/src" "$dir/bench" "$dir/reference"
if [ "$lang" = cpp ]; then
  cp "$here/lessonl_bench.hpp" "$dir/bench/"
  build='build = "g++ -O2 -std=c++17 -o {build}/prog bench/main.cpp"'
  test='test = "{build}/prog check"'
  bench='bench = "{build}/prog bench"'
else
  cp "$here/lessonl_bench.py" "$dir/bench/"
  build=''
  test='test = "{python} bench/main.py check"'
  bench='bench = "{python} bench/main.py bench"'
fi
{
  echo "[problem]"
  echo "category = \"$category\""
  echo "function = \"$function\""
  echo "description = \"$description\""
  echo
  echo "[[targets]]"
  echo "name = \"$name\""
  echo "files = [\"src/$file\"]"
  [ -n "$build" ] && echo "$build"
  echo "$test"
  echo "$bench"
  echo 'exclude = ["reference"]'
  echo "timeout_s = 60"
} > "$dir/lessonl.toml"
