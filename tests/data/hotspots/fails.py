import sys

from shop.prices import label

print(label(2))
sys.exit("the workload broke on purpose")
