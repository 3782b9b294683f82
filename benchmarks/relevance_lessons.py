"""A bank of realistic lessons for `relevance_quality.py`: three per problem of benchmarks/serial.

Written the way the agents write them (one or two sentences, after a graded attempt at that
problem's function): some name the code's identifiers, some only the idea, some are about a
failure (wrong output, no build, slower) and say little about the code at all. That mix is what
relevance scoring meets in a real bank, where many lessons share the same few words ("loop",
"vector", "faster") and the telling ones are the identifiers and domain terms.
"""

from __future__ import annotations

LESSONS: dict[str, tuple[str, ...]] = {
    "bfs_distances": (
        "Replacing the n x n `adjacent` matrix with adjacency lists made the breadth-first search "
        "visit only real neighbours, so each vertex costs its degree instead of n.",
        "The variant was incorrect because it stored only `adjacent[u][v]` and forgot the reverse "
        "edge, so vertices reachable through an undirected edge kept distance -1.",
        "Building a compressed adjacency array (offsets plus a flat neighbour list) from the edge "
        "list before the BFS was faster than a vector of vectors: one allocation, better locality.",
    ),
    "byte_histogram": (
        "Counting into a plain array of 256 counters indexed by the unsigned char instead of a "
        "std::map removes the tree lookups; the histogram becomes one pass over the string.",
        "Using `char` directly as the index gave negative indices for bytes above 127 and the "
        "counts came out wrong; cast to unsigned char first.",
        "Four separate count arrays merged at the end avoid store-to-load stalls when the same "
        "byte repeats, which made the byte counting loop about twice as fast.",
    ),
    "close_pairs": (
        "Comparing squared distances dx*dx + dy*dy <= r*r in int64 avoids the sqrt and the double "
        "conversion for every pair of points.",
        "Bucketing the points into a grid of cells of side r and only comparing points in "
        "neighbouring cells turns the all-pairs scan into near-linear work.",
        "Sorting the points by x and breaking out of the inner loop once p[j].x - p[i].x exceeds r "
        "pruned most pairs, but the variant did not compile: Point had no operator<.",
    ),
    "convolve_1d": (
        "Dropping the temporary `window` vector and accumulating h[k] * x[i - k] directly over the "
        "valid k range removed an allocation per output sample.",
        "Computing the valid range of k for each output index once, instead of testing "
        "i - k >= 0 && i - k < n inside the inner loop, let the compiler vectorize the "
        "convolution.",
        "The variant swapped the roles of the signal and the kernel and went out of bounds on the "
        "zero-padded ends, so the outputs differed near both edges.",
    ),
    "coo_to_csr": (
        "A counting sort by row (count entries per row, prefix sums into row_start, scatter) "
        "replaces the std::map of (row, col) cells and builds the CSR arrays in linear time.",
        "Sorting only within each row by column after the scatter, then summing duplicates in "
        "input order, kept the results exact while avoiding the map.",
        "The variant summed duplicate triples in sorted order instead of input order, and the "
        "floating-point sums differed from the expected values in the last bits.",
    ),
    "count_inversions": (
        "A merge sort that counts, at each merge, how many elements of the left half exceed the "
        "current right element finds all inversions in O(n log n) instead of the nested loop.",
        "A Fenwick tree over the compressed values counts earlier elements greater than a[j] in "
        "log time, which beat the quadratic pair loop by far on large arrays.",
        "The variant counted equal values as inversions (>= instead of >) and the count was too "
        "high whenever the array had duplicates.",
    ),
    "count_occurrences": (
        "Comparing the pattern in place with std::memcmp or std::equal instead of calling "
        "text.substr at every position avoids allocating a new string per position.",
        "A Knuth-Morris-Pratt failure table finds every overlapping occurrence of the pattern in "
        "one pass over the text.",
        "Using std::string::find and advancing by the pattern length skipped overlapping matches, "
        "so the variant returned too few occurrences.",
    ),
    "dedupe": (
        "Keeping a set of the items already seen makes the membership test O(1) instead of "
        "scanning the `result` list, so dedupe becomes linear.",
        "dict.fromkeys(items) keeps the first occurrence of every item in the original order and "
        "runs in C, which was the fastest order-preserving de-duplication.",
        "Returning list(set(items)) was fast but lost the original order of first occurrences, so "
        "it was incorrect.",
    ),
    "dijkstra": (
        "A binary heap (std::priority_queue of distance, vertex pairs with lazy deletion) replaces "
        "the linear scan for the closest unfinished vertex in Dijkstra's algorithm.",
        "Storing the outgoing edges in one flat array sorted by `from` with offsets improved "
        "locality over the vector of vectors of Edge.",
        "The heap variant pushed negative distances to get a min-heap but forgot to negate them "
        "when popping, so shortest path lengths were wrong.",
    ),
    "escape_html": (
        "Appending to a std::string reserved to the input size, instead of streaming every "
        "character through an std::ostringstream, made the HTML escaping much faster.",
        "Copying runs of characters that need no escaping in one append, and only escaping &, <, "
        ">, quotes and apostrophes, cut the per-byte overhead.",
        "The variant escaped the apostrophe as &apos; instead of &#39; and the output differed.",
    ),
    "game_of_life": (
        "Handling the wrap-around of the torus only on the border rows and columns, and using "
        "plain neighbour offsets in the interior, removed the two modulo operations per "
        "neighbour.",
        "Summing each cell's neighbours with running row sums of three cells reuses work between "
        "adjacent cells of the grid.",
        "The variant forgot that the grid wraps at the edges and counted cells beyond the last "
        "column as dead, so the life step differed along the borders.",
    ),
    "group_sums": (
        "Accumulating totals in a dict while scanning the records once replaces the quadratic "
        "`key not in keys` list test and the sum per key.",
        "A dict keeps insertion order, so adding each key's value as records arrive gives the "
        "keys in order of first appearance without a separate keys list.",
        "Using collections.defaultdict(float) was correct and about as fast as dict.get for the "
        "grouped sums.",
    ),
    "histogram_bins": (
        "Binary search over the sorted bin edges with std::upper_bound finds each value's bin in "
        "log time instead of scanning every bin.",
        "The variant put values equal to the last edge outside the histogram, but the last bin "
        "must include its right edge.",
        "Precomputing a uniform lookup table over the edge range to jump near the right bin, then "
        "correcting with a short scan, beat the binary search for many bins.",
    ),
    "jacobi_2d": (
        "Swapping the loops so the inner loop runs over columns of a row made the Jacobi sweep "
        "walk memory contiguously instead of striding by cols.",
        "Copying the boundary rows and columns separately removed the boundary test from the "
        "interior loop of the 5-point stencil, which then vectorized.",
        "The variant updated the grid in place, mixing new and old values, so it computed a "
        "Gauss-Seidel step instead of a Jacobi step.",
    ),
    "matmul": (
        "Reordering the matrix multiplication loops to i, p, j makes the innermost loop stream "
        "through rows of B and C, which the compiler vectorizes.",
        "Blocking the multiplication into tiles that fit in cache reused each tile of A and B "
        "many times and was faster for large matrices.",
        "The variant forgot to zero C before accumulating with +=, and the product included the "
        "old contents of C.",
    ),
    "matvec_transpose": (
        "Iterating over the rows of A in the outer loop and adding x[i] times row i to y reads A "
        "contiguously instead of striding down a column for every output.",
        "Accumulating y in a local vector and unrolling over two rows at a time made the "
        "transposed matrix-vector product faster.",
        "The variant indexed A as A[j * m + i], reading the matrix as if it were column-major, "
        "and the results were wrong for non-square A.",
    ),
    "max_subarray": (
        "Kadane's algorithm keeps the best sum ending here and the best sum so far in one pass, "
        "replacing the divide-and-conquer recursion and its crossing sums.",
        "The Kadane variant started the running maximum at 0, so it returned 0 for arrays where "
        "every element is negative instead of the largest element.",
        "Removing the recursion of max_subarray_range avoided the function call overhead, but "
        "the iterative version was only slightly faster.",
    ),
    "merge_intervals": (
        "Sorting the intervals by start and merging each into the last interval of the output in "
        "one pass replaces the repeated rebuild of the merged list.",
        "The variant merged only strictly overlapping intervals and kept touching ones like "
        "[1, 2] and [2, 5] apart, which is incorrect.",
        "Sorting tuples with the built-in sort and comparing with the last merged end was "
        "faster than the quadratic keep list.",
    ),
    "moving_average": (
        "A running sum that adds the new value and subtracts the one leaving the trailing window "
        "computes each moving average in constant time.",
        "Prefix sums over x give each window's sum as a difference, which removed the inner loop "
        "over the window.",
        "The running-sum variant divided by w at the start of the series, where the window is "
        "shorter, so the first averages were too small.",
    ),
    "nearest_values": (
        "Sorting the values once and finding each query's neighbours with bisect makes every "
        "nearest-value lookup logarithmic instead of a min over all values.",
        "On ties the variant returned the larger of the two closest values; the smaller one must "
        "win when the distances are equal.",
        "Sorting the queries as well and sweeping both sorted lists with two pointers was even "
        "faster than bisect per query.",
    ),
    "pairwise_abs_sum": (
        "After sorting, each a[i] contributes a[i] * i minus the sum of the earlier elements, so "
        "the sum of absolute differences over all pairs needs one pass instead of two loops.",
        "The sorted-prefix variant accumulated the prefix sum in int and overflowed; the total "
        "needs int64 throughout.",
        "Sorting a copy of the array with std::sort dominated the time, but the result was still "
        "far faster than the quadratic pair loop.",
    ),
    "parse_ints": (
        "Parsing the digits by hand with a pointer over the csv string, instead of getline into "
        "a std::stringstream and std::stoll per field, made parsing several times faster.",
        "std::from_chars parses each field in place without allocating a std::string for it.",
        "The hand-written parser forgot the optional leading '-' and parsed negative integers as "
        "positive.",
    ),
    "range_count": (
        "Sorting the data once and answering each [lo, hi] query with lower_bound and upper_bound "
        "replaces the scan of the whole array per query.",
        "The variant used upper_bound for both ends of the range and missed elements equal to "
        "lo, so the counts were off by the duplicates of lo.",
        "Sorting the queries too and sweeping them with the sorted data did not beat two binary "
        "searches per query.",
    ),
    "running_median": (
        "Keeping the window sorted with bisect.insort and removing the leaving element with "
        "bisect instead of sorting every window made the running median much faster.",
        "Two heaps with lazy deletion give each window's median in log time, but the bookkeeping "
        "made it slower than insort for small windows.",
        "For even w the variant returned the upper middle value instead of the mean of the two "
        "middle values of the window.",
    ),
    "sliding_window_max": (
        "A monotonic deque of indices whose values decrease gives every window's maximum in "
        "amortized constant time instead of std::max_element over w elements.",
        "The deque variant popped from the front only when the index was strictly less than "
        "i - w, keeping one stale element, so some window maxima were wrong.",
        "Splitting the array into blocks of w and combining prefix and suffix maxima computed "
        "the sliding window maximum in two linear passes.",
    ),
    "sparse_dot": (
        "Both sparse vectors are sorted by index, so a two-pointer merge walks them once instead "
        "of a binary search in b for every entry of a.",
        "Advancing the lower_bound search from the previous position in b instead of from "
        "b.begin() made each lookup cheaper for the dot product.",
        "The merge variant advanced both pointers when the indices differed and skipped matching "
        "entries, so the dot product was wrong.",
    ),
    "top_k": (
        "std::partial_sort of the indices with a comparator on v (descending value, then smaller "
        "index) finds the k largest without k full scans.",
        "std::nth_element followed by sorting the first k indices was faster still, but the "
        "comparator must break ties by index or the order differs.",
        "The variant used a min-heap of size k but returned the indices in heap order instead of "
        "largest first.",
    ),
    "top_words": (
        "collections.Counter counts every word in one pass instead of calling words.count for "
        "each distinct word, which was quadratic.",
        "heapq.nsmallest with the key (-count, word) picks the k most frequent words without "
        "sorting all of them.",
        "Counter.most_common(k) breaks ties by first occurrence rather than alphabetically, so "
        "the variant ordered equal counts wrongly.",
    ),
}
