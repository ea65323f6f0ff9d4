# SPDX-License-Identifier: MIT
# Plots for bench/RESULTS.md, from the data files bench/run.sh writes: gnuplot -e "data='DIR'; out='DIR'" plots.gp
set terminal pngcairo size 900,480 font ",10" noenhanced
set grid ytics
set key outside right top

set output out.'/pair.png'
set title "In-kernel malloc(64) + free pair vs the kernel's own answers (ns above an empty XDP program)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 left
set ylabel "ns"
unset key
plot data.'/pair.dat' using 2:xtic(1) lc rgb "#4477aa"

set output out.'/occupancy.png'
set title "Pair cost as the heap fills (1 MiB heap, random sizes 8..512 B)"
set style data linespoints
set xtics norotate
set xlabel "occupancy (%)"
set ylabel "ns above empty"
set yrange [0:*]
set key outside right top
plot data.'/occupancy.dat' using 1:2 title "shared, segregated", '' using 1:3 title "shared, first fit", \
     '' using 1:4 title "arena, segregated", '' using 1:5 title "arena, first fit"

set output out.'/sizes.png'
set title "Pair cost by request size"
set logscale x 2
set xlabel "request bytes"
plot data.'/sizes.dat' using 1:2 title "shared, segregated", '' using 1:3 title "shared, first fit", \
     '' using 1:4 title "arena, segregated", '' using 1:5 title "arena, first fit"
unset logscale x

set output out.'/native.png'
set title "Native: ns per operation (1 thread / 2 threads at once)"
set style data histograms
set style histogram clustered gap 1
set xlabel ""
set xtics rotate by -20 left
set ylabel "ns"
plot data.'/native.dat' using 2:xtic(1) title "pair, 1 thread", '' using 3 title "random, 1 thread", \
     '' using 4 title "pair, 2 threads", '' using 5 title "random, 2 threads"

set output out.'/fragmentation.png'
set title "Utilisation at the first failed allocation, 64 KiB pool, 20 seeds"
set style data points
set xtics norotate
set xlabel "seed"
set ylabel "requested bytes live / 65536"
set yrange [0.7:1]
names = '"dynamic_memory (segregated)" "dynamic_memory (first fit)" "address-ordered first fit (reference)"'
plot for [i = 1:3] for [w in "W1 W2"] data.'/fragmentation.dat' \
     using 3:((strcol(1) eq word(names, i) && strcol(2) eq w) ? $4 : NaN) title sprintf("%s, %s", word(names, i), w)
