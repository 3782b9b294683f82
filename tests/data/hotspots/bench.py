"""A workload in which total_with_tax takes nearly all the time."""

from shop.prices import Basket, total_with_tax

for _ in range(3):
    total_with_tax([float(i) for i in range(2500)])
print(Basket([1.0, 2.0]).summary())
